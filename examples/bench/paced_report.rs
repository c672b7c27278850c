//! The paced scenario's part of the report: its figures, its checks (every event the server sent
//! came, in order), the targets of issue 19 item 1 and ours in notify mode against events mode
//! (issue 20 item 4).

use std::collections::BTreeMap;

use crate::measure::summary;
use crate::paced::Pace;
use crate::report::{metric, server_name, Metric};
use crate::{Client, Kind, Opts, Results, Sample, Scenario};

/// Figure: client CPU per event.
const CPU: &str = "client CPU per event (µs)";
/// Figure: latency to the platform (ours in events mode: `ExternalEvent`; node: its handler).
const PLATFORM_P50: &str = "latency to ExternalEvent p50 (µs; node: its handler)";
const PLATFORM_P99: &str = "latency to ExternalEvent p99 (µs; node: its handler)";
/// Figure: latency to the handler (ours: the 1C thread took it, or `GetEvent` returned it).
const HANDLER_P50: &str = "latency to the 1C handler p50 (µs; node: its handler)";
const HANDLER_P99: &str = "latency to the 1C handler p99 (µs; node: its handler)";

/// The table's name of figure `what` of `pace`.
fn figure(pace: Pace, what: &str) -> String {
    format!("{}: {what}", pace.name())
}

/// Per event of the sample.
fn per_event(x: &Sample, count: f64) -> f64 {
    count / x.events as f64
}

/// The figures of one paced configuration.
pub fn metrics(pace: Pace) -> Vec<Metric> {
    let mut figures = vec![
        metric(
            &figure(pace, "events/s (wall)"),
            |x, _| x.events as f64 / x.wall_s,
            true,
        ),
        metric(
            &figure(pace, CPU),
            |x, _| per_event(x, 1e6 * x.cpu_s),
            false,
        ),
        metric(
            &figure(pace, "voluntary ctx switches per event"),
            |x, _| per_event(x, x.vcsw),
            false,
        ),
        metric(
            &figure(pace, "involuntary ctx switches per event"),
            |x, _| per_event(x, x.ivcsw),
            false,
        ),
    ];
    if !pace.notify {
        // Notify mode calls ExternalEvent only for its Pending events.
        figures.push(metric(
            &figure(pace, PLATFORM_P50),
            |x, _| x.platform_p50_us,
            false,
        ));
        figures.push(metric(
            &figure(pace, PLATFORM_P99),
            |x, _| x.platform_p99_us,
            false,
        ));
    }
    figures.push(metric(&figure(pace, HANDLER_P50), |x, _| x.p50_us, false));
    figures.push(metric(&figure(pace, HANDLER_P99), |x, _| x.p99_us, false));
    figures
}

/// What went wrong in a paced sample, for the checks.
pub fn faults(o: &Opts, pace: Pace, s: &Sample) -> Option<String> {
    let expected = pace.events(o.pace_seconds);
    (s.events != expected || s.missing > 0 || s.out_of_order > 0).then(|| {
        format!(
            "{}: {} of {expected} events came, {} missing, {} out of order",
            pace.name(),
            s.events,
            s.missing,
            s.out_of_order
        )
    })
}

/// The targets of issue 19 item 1 for every paced configuration measured: CPU per event at most
/// 0.5× node's, p50 and p99 no worse than node's (to `ExternalEvent` in events mode, to
/// `GetEvent`'s return in notify mode).
pub fn targets(o: &Opts, ratios: &BTreeMap<(Kind, String), (f64, f64)>) {
    let paces = o.scenarios.iter().filter_map(|s| match s {
        Scenario::Paced(p) => Some(*p),
        _ => None,
    });
    let mut lines = Vec::new();
    for pace in paces {
        let (p50, p99) = if pace.notify {
            (HANDLER_P50, HANDLER_P99)
        } else {
            (PLATFORM_P50, PLATFORM_P99)
        };
        for &kind in &o.servers {
            let goals = [
                ("CPU per event ≤ 0.5× node", CPU, 0.5),
                ("p50 ≤ node", p50, 1.0),
                ("p99 ≤ node", p99, 1.0),
            ];
            let verdicts: Vec<String> = goals
                .iter()
                .filter_map(|&(what, key, bound)| {
                    let &(r, paired) = ratios.get(&(kind, figure(pace, key)))?;
                    let verdict = |r: f64| if r <= bound { "met" } else { "NOT met" };
                    Some(format!(
                        "{what}: {r:.2}× → {} (per run {paired:.2}× → {})",
                        verdict(r),
                        verdict(paired)
                    ))
                })
                .collect();
            if !verdicts.is_empty() {
                lines.push(format!(
                    "- {}, {}: {}",
                    server_name(kind),
                    pace.name(),
                    verdicts.join("; ")
                ));
            }
        }
    }
    if !lines.is_empty() {
        println!();
        println!("targets of the paced scenario (issue 19 item 1), ours/node:");
        lines.iter().for_each(|l| println!("{l}"));
    }
}

/// A figure of one sample.
type Of = fn(&Sample) -> f64;

/// Ours in notify mode against ours in events mode, per rate and object count: the ratios of
/// the medians (notify/events) of CPU per event, context switches per event and the latency to
/// the 1C handler.
pub fn notify_against_events(o: &Opts, results: &Results) {
    let median = |pace: Pace, kind: Kind, f: Of| -> f64 {
        let xs: Vec<f64> = results
            .get(&(Scenario::Paced(pace), kind, Client::Ours))
            .map(|v| v.iter().map(f).collect())
            .unwrap_or_default();
        summary(&xs).0
    };
    let figures: [(&str, Of); 4] = [
        ("CPU per event", |x| per_event(x, x.cpu_s)),
        ("voluntary ctx switches per event", |x| per_event(x, x.vcsw)),
        ("latency to the 1C handler p50", |x| x.p50_us),
        ("latency to the 1C handler p99", |x| x.p99_us),
    ];
    let mut rows = Vec::new();
    for &kind in &o.servers {
        for s in &o.scenarios {
            let Scenario::Paced(notify) = *s else {
                continue;
            };
            if !notify.notify {
                continue;
            }
            let events = Pace {
                notify: false,
                ..notify
            };
            let ratios: Vec<String> = figures
                .iter()
                .map(|&(_, f)| format!("{:.2}×", median(notify, kind, f) / median(events, kind, f)))
                .collect();
            if ratios.iter().any(|r| !r.starts_with("NaN")) {
                rows.push(format!(
                    "| {} | {}/s to {} | {} |",
                    server_name(kind),
                    notify.rate,
                    notify.objects,
                    ratios.join(" | ")
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "ours, paced, notify mode against events mode (notify/events, medians; lower is better):"
    );
    println!();
    let names: Vec<&str> = figures.iter().map(|(n, _)| *n).collect();
    println!("| server | paced | {} |", names.join(" | "));
    println!("|---|---|{}", "---|".repeat(names.len()));
    rows.iter().for_each(|r| println!("{r}"));
}
