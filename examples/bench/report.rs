//! The benchmark's table: medians (min–max) per client, the ratio ours/node of the medians and the
//! median (min–max) of the per-run ratios, the targets of issue 5, and where our process spent
//! its CPU time (per thread).

use std::collections::BTreeMap;

use crate::measure::summary;
use crate::ours::RttMode;
use crate::paced_report;
use crate::{Client, Kind, Opts, Results, Sample, Scenario};

pub fn server_name(k: Kind) -> &'static str {
    match k {
        Kind::Real => "socket.io 4.8 server",
        Kind::Fake => "fake blast server",
        Kind::Sio2 => "socket.io 2.5 server (EIO3; node: client 2.5)",
        Kind::Polling => "socket.io 4.8 server, polling only",
        Kind::Wss => "socket.io 4.8 server over TLS (wss)",
    }
}

/// How a figure is computed from a sample.
type Figure = Box<dyn Fn(&Sample, &Opts) -> f64>;

/// One figure of a sample, and whether higher is better.
pub struct Metric {
    name: String,
    value: Figure,
    higher_is_better: bool,
}

pub fn metric(
    name: &str,
    value: impl Fn(&Sample, &Opts) -> f64 + 'static,
    higher_is_better: bool,
) -> Metric {
    Metric {
        name: name.to_owned(),
        value: Box::new(value),
        higher_is_better,
    }
}

/// The scenario's `count` (events, sends, acks) per second of wall time (figure `wall`) and
/// per second of client CPU time (figure `cpu`).
fn rates(wall: &str, cpu: &str, count: fn(&Opts) -> usize) -> [Metric; 2] {
    [
        metric(wall, move |x, o| count(o) as f64 / x.wall_s, true),
        metric(cpu, move |x, o| count(o) as f64 / x.cpu_s, true),
    ]
}

fn kernel_share(name: &str) -> Metric {
    metric(name, |x, _| 100.0 * x.sys_s / x.cpu_s, false)
}

fn metrics(s: Scenario, mode: RttMode) -> Vec<Metric> {
    let rtt = match mode {
        RttMode::Ack => "ack round trip",
        RttMode::Echo => "echo round trip",
    };
    let mut figures = Vec::new();
    match s {
        Scenario::Inbound => {
            figures.extend(rates(
                "inbound events/s (wall)",
                "inbound events per client-CPU-s",
                |o| o.inbound,
            ));
            figures.push(metric(
                "inbound events per client-CPU-s without the 1C thread",
                |x, o| {
                    o.inbound as f64 / (x.cpu_s - x.threads.get("main").map_or(0.0, |t| t.cpu_s))
                },
                true,
            ));
            figures.push(metric(
                "inbound voluntary ctx switches per 1000 events",
                |x, o| 1000.0 * x.vcsw / o.inbound as f64,
                false,
            ));
            figures.push(kernel_share("inbound kernel share of client CPU (%)"));
        }
        Scenario::InboundCore => {
            figures.extend(rates(
                "inbound, 1C thread woken at the end: events/s (wall)",
                "inbound, 1C thread woken at the end: events per client-CPU-s",
                |o| o.inbound,
            ));
            figures.push(kernel_share(
                "inbound, 1C thread woken at the end: kernel share of client CPU (%)",
            ));
        }
        Scenario::InboundNotify => {
            figures.extend(rates(
                "inbound, notify mode (GetEvent): events/s (wall)",
                "inbound, notify mode (GetEvent): events per client-CPU-s",
                |o| o.inbound,
            ));
            figures.push(kernel_share(
                "inbound, notify mode (GetEvent): kernel share of client CPU (%)",
            ));
        }
        Scenario::Outbound => figures.extend(rates(
            "outbound sends/s received (wall)",
            "outbound sends per client-CPU-s",
            |o| o.outbound,
        )),
        Scenario::Rtt => {
            figures.push(metric(&format!("{rtt} p50 (µs)"), |x, _| x.p50_us, false));
            figures.push(metric(&format!("{rtt} p99 (µs)"), |x, _| x.p99_us, false));
            figures.push(metric(
                &format!("{rtt}s per client-CPU-s"),
                |x, o| o.rtt as f64 / x.cpu_s,
                true,
            ));
            figures.push(metric(
                &format!("voluntary ctx switches per {rtt}"),
                |x, o| x.vcsw / o.rtt as f64,
                false,
            ));
        }
        Scenario::Acks => {
            figures.extend(rates(
                "acks/s with a window unanswered (wall)",
                "acks with a window unanswered per client-CPU-s",
                |o| o.acks,
            ));
            figures.push(metric(
                "acks with a window unanswered: voluntary ctx switches per ack",
                |x, o| x.vcsw / o.acks as f64,
                false,
            ));
        }
        Scenario::Connect => {
            figures.push(metric("Connect to Open p50 (µs)", |x, _| x.p50_us, false));
            figures.push(metric("Connect to Open p99 (µs)", |x, _| x.p99_us, false));
        }
        Scenario::Binary => figures.extend(rates(
            "binary inbound events/s (wall)",
            "binary inbound events per client-CPU-s",
            |o| o.binary,
        )),
        Scenario::BinarySends => figures.extend(rates(
            "binary sends/s received (wall)",
            "binary sends per client-CPU-s",
            |o| o.sends,
        )),
        Scenario::Paced(pace) => figures.extend(paced_report::metrics(pace)),
    }
    figures
}

fn fmt(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 10_000.0 {
        format!("{:.0}k", x / 1000.0)
    } else if x >= 1000.0 {
        // Latencies of 1–10 ms: "1k" would hide up to half of it.
        format!("{:.1}k", x / 1000.0)
    } else if x >= 10.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn cell(xs: &[f64]) -> String {
    if xs.is_empty() {
        return "–".into();
    }
    let (med, min, max) = summary(xs);
    format!("**{}** ({}–{})", fmt(med), fmt(min), fmt(max))
}

/// Prints the whole report to stdout (Markdown).
pub fn print(o: &Opts, results: &Results, mode: RttMode) {
    println!();
    println!(
        "{} runs (after {} warm-up), inbound N={}, outbound N={}, rtt N={}, acks N={} (window {}), binary N={} ({} bytes each), sends N={} ({} bytes each); median (min–max)",
        o.runs,
        o.warmup_runs,
        o.inbound,
        o.outbound,
        o.rtt,
        o.acks,
        o.window,
        o.binary,
        o.bytes,
        o.sends,
        o.send_bytes
    );
    if o.scenarios.iter().any(|s| matches!(s, Scenario::Paced(_))) {
        println!(
            "paced: {} s per run at each rate, events spread over each object count in turn",
            o.pace_seconds
        );
    }
    if mode == RttMode::Echo {
        println!("round trips are echoes (Send → the server's echo event): this build has no SendWithAck");
    }
    println!();
    println!("| server | figure | ours | node socket.io-client | ours/node | per run |");
    println!("|---|---|---|---|---|---|");
    let mut medians: BTreeMap<(Kind, String), (f64, f64)> = BTreeMap::new();
    for &scenario in &o.scenarios {
        for &kind in &o.servers {
            for m in metrics(scenario, mode) {
                let values = |c: Client| -> Vec<f64> {
                    results
                        .get(&(scenario, kind, c))
                        .map(|v| v.iter().map(|s| (m.value)(s, o)).collect())
                        .unwrap_or_default()
                };
                let (ours, node) = (values(Client::Ours), values(Client::Node));
                if ours.is_empty() && node.is_empty() {
                    continue; // not measured against this server (binary on the fake one)
                }
                let ratio = summary(&ours).0 / summary(&node).0;
                // The two clients measured one right after the other in each run: the ratio of
                // each pair is spared the machine's slower and faster spells.
                let paired: Vec<f64> = ours.iter().zip(&node).map(|(a, b)| a / b).collect();
                let (paired_median, paired_min, paired_max) = summary(&paired);
                medians.insert((kind, m.name.clone()), (ratio, paired_median));
                let per_run = if paired.is_empty() || paired_median.is_nan() {
                    String::new()
                } else {
                    format!("{paired_median:.2}× ({paired_min:.2}–{paired_max:.2})")
                };
                let mark = if ratio.is_nan() {
                    String::new()
                } else if (ratio >= 1.0) == m.higher_is_better {
                    format!("{ratio:.2}×")
                } else {
                    format!("{ratio:.2}× (worse)")
                };
                println!(
                    "| {} | {} | {} | {} | {} | {} |",
                    server_name(kind),
                    m.name,
                    cell(&ours),
                    cell(&node),
                    mark,
                    per_run
                );
            }
        }
    }
    checks(o, results);
    targets(&medians, mode);
    paced_report::targets(o, &medians);
    paced_report::notify_against_events(o, results);
    threads(o, results);
}

/// Nothing dropped by the host, and every send counted by the server.
fn checks(o: &Opts, results: &Results) {
    let mut notes = Vec::new();
    for ((scenario, kind, client), samples) in results {
        for s in samples {
            if s.dropped > 0 {
                notes.push(format!(
                    "{kind:?}/{client:?}: the host dropped {} events",
                    s.dropped
                ));
            }
            if let Scenario::Paced(pace) = *scenario {
                if let Some(fault) = paced_report::faults(o, pace, s) {
                    notes.push(format!("{kind:?}/{client:?}: {fault}"));
                }
            }
            if *scenario == Scenario::Outbound {
                if let Some(n) = s.server_received {
                    if n != o.outbound as u64 {
                        notes.push(format!(
                            "{kind:?}/{client:?}: the server received {n} of {} sends",
                            o.outbound
                        ));
                    }
                }
            }
        }
    }
    println!();
    if notes.is_empty() {
        println!("checks: no event dropped by the host; every counted outbound run complete");
        if results
            .keys()
            .any(|(s, _, _)| matches!(s, Scenario::Paced(_)))
        {
            println!("checks (paced): every event the server sent came, in order, to every object");
        }
    } else {
        for n in notes {
            println!("CHECK FAILED: {n}");
        }
    }
}

/// The targets of issue 5, against the ratios above.
fn targets(ratios: &BTreeMap<(Kind, String), (f64, f64)>, mode: RttMode) {
    let rtt = match mode {
        RttMode::Ack => "ack round trip p50 (µs)",
        RttMode::Echo => "echo round trip p50 (µs)",
    };
    let goals: [(&str, Kind, &str, f64, bool); 5] = [
        (
            "inbound ≥ 2× node per client-CPU-s",
            Kind::Real,
            "inbound events per client-CPU-s",
            2.0,
            true,
        ),
        (
            "(the same, the 1C thread woken at the end: the add-in's own cost, §5.4)",
            Kind::Real,
            "inbound, 1C thread woken at the end: events per client-CPU-s",
            2.0,
            true,
        ),
        (
            "inbound ≥ 1× node in wall time",
            Kind::Real,
            "inbound events/s (wall)",
            1.0,
            true,
        ),
        (
            "outbound ≥ 1× node",
            Kind::Real,
            "outbound sends/s received (wall)",
            1.0,
            true,
        ),
        (
            "round trip p50 no worse than node",
            Kind::Real,
            rtt,
            1.0,
            false,
        ),
    ];
    let lines: Vec<String> = goals
        .into_iter()
        .filter_map(|(what, kind, key, bound, higher)| {
            let &(r, paired) = ratios.get(&(kind, key.to_owned()))?;
            if r.is_nan() {
                return None;
            }
            let met = |r: f64| if higher { r >= bound } else { r <= bound };
            let verdict = |r: f64| if met(r) { "met" } else { "NOT met" };
            Some(format!(
                "- {what}: {r:.2}× → {} (median of the per-run ratios {paired:.2}× → {})",
                verdict(r),
                verdict(paired)
            ))
        })
        .collect();
    // A run of other scenarios only (paced) has none of these figures.
    if !lines.is_empty() {
        println!();
        println!("targets (socket.io 4.8 server):");
        lines.iter().for_each(|l| println!("{l}"));
    }
}

/// Where our process's CPU time and sleeps went, per thread name (medians over the runs).
fn threads(o: &Opts, results: &Results) {
    for &scenario in &o.scenarios {
        // How many units a sample measured, and what a unit is.
        let (per, unit): (fn(&Opts, &Sample) -> f64, &str) = match scenario {
            Scenario::Inbound | Scenario::InboundCore | Scenario::InboundNotify => {
                (|o, _| o.inbound as f64 / 1000.0, "per 1000 events")
            }
            Scenario::Paced(_) => (|_, s| s.events as f64 / 1000.0, "per 1000 events"),
            Scenario::Acks => (|o, _| o.acks as f64, "per ack"),
            Scenario::Rtt => (|o, _| o.rtt as f64, "per round trip"),
            _ => continue,
        };
        for &kind in &o.servers {
            let Some(samples) = results.get(&(scenario, kind, Client::Ours)) else {
                continue;
            };
            let mut shares: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
            for s in samples {
                let total: f64 = s.threads.values().map(|t| t.cpu_s).sum();
                for (name, t) in &s.threads {
                    let e = shares.entry(name).or_default();
                    e.0.push(100.0 * t.cpu_s / total);
                    e.1.push(t.vcsw / per(o, s));
                }
            }
            let parts: Vec<String> = shares
                .iter()
                .map(|(name, (cpu, sw))| {
                    format!(
                        "{name} {:.0} % CPU, {} switches",
                        summary(cpu).0,
                        fmt(summary(sw).0)
                    )
                })
                .collect();
            let name = match scenario {
                Scenario::Paced(pace) => pace.name(),
                _ => format!("{scenario:?}"),
            };
            println!();
            println!(
                "ours, {name} with the {}, per thread (CPU share; voluntary context switches {unit}): {}",
                server_name(kind),
                parts.join("; ")
            );
        }
    }
    println!();
    println!("\"without the 1C thread\": the client's CPU time minus the host emulator's `main` thread, i.e. the add-in's threads (with the host's ExternalEvent callback, which runs on them); node has no such thread, so its figure is the same as with it.");
    println!("`main` is the host emulator's 1C thread (its event loop waits on a condition variable, so each wake-up is a switch); `async-std/runti` are the add-in's executor threads, which also run the host's ExternalEvent callback; `async-io` is the reactor.");
}
