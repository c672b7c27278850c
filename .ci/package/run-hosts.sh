#!/usr/bin/env bash
# Runs every packaged binary (default: all five; build.sh first) in a host of its own platform
# against a real socket.io 4 server on loopback, with the seed scenario: subscribe, connect,
# the subscribed `greeting` event, send + echo back, disconnect.
#
#   bash .ci/package/run-hosts.sh                 # all five
#   bash .ci/package/run-hosts.sh win64 lin32     # a subset
#
# On Linux, tests/cross_hosts/host.c (explicit Itanium vtables) runs five scenarios: ws://
# (external events), ws:// as a server (queue mode, GetEvent), wss:// trusting a custom CA
# (CACertificate), wss:// with an unrelated CA (must fail), wss:// with VerifyCertificate = False
# (the insecure opt-in connects); the g++-built tests/cpp_host/host.cpp (compiler-made vtables)
# also runs its live mode. On Windows, tests/msvc_host (C++ that clang lays out for the MSVC ABI,
# built by msvc-host.sh) runs all of that and more in one process: the ABI checks, the seed
# scenario, acks both ways, queue mode, ten objects, Done while receiving, delete through each
# base, wss, mutual TLS with a .pfx, the system store and proxy, and FreeLibrary/LoadLibrary of
# the pinned module.
#   lin64     native                    lin32  native, through the i686 cross loader
#   linarm64  qemu-aarch64 (user mode)  win64  Debian's Wine 8 (64-bit)
#   win32     Debian's 32-bit Wine 8, unpacked privately by wine32.sh (it says why)
# Logs: target/package/run/. Last line: "N passed, M failed".
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=("${ALL_KEYS[@]}")
bash .ci/package/setup.sh "${keys[@]}" >/dev/null

RUN="$PKG_DIR/run"
rm -rf "$RUN"
mkdir -p "$RUN"
passed=0
failed=0
result() { # result ok|FAIL what seconds log
  printf '%-4s %-48s %4ss  %s\n' "$1" "$2" "$3" "${4#"$ROOT"/}"
  case $1 in ok) passed=$((passed + 1)) ;; *) failed=$((failed + 1)) ;; esac
}

# ---- certificates: a CA and a server certificate for 127.0.0.1, and an unrelated CA ----------
certs="$RUN/certs"
mkdir -p "$certs"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
for ca in ca other-ca; do
  openssl req -x509 "${ec[@]}" -keyout "$certs/$ca.key" -out "$certs/$ca.pem" -days 30 \
    -subj "/CN=socketio1c package $ca" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
done
openssl req -new "${ec[@]}" -keyout "$certs/server.key" -out "$certs/server.csr" -subj /CN=localhost 2>/dev/null
printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
  extendedKeyUsage=serverAuth subjectAltName=IP:127.0.0.1,DNS:localhost >"$certs/server.ext"
openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -set_serial 2 \
  -days 30 -out "$certs/server.pem" -extfile "$certs/server.ext" 2>/dev/null
# A client certificate from the CA, as a .pfx (OpenSSL 3's default: AES-256, as current Windows
# exports), for the server that requires one (the Windows host's mtls scenario).
openssl req -new "${ec[@]}" -keyout "$certs/client.key" -out "$certs/client.csr" -subj /CN=1c-windows 2>/dev/null
printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature \
  extendedKeyUsage=clientAuth >"$certs/client.ext"
openssl x509 -req -in "$certs/client.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca.key" -set_serial 3 \
  -days 30 -out "$certs/client.pem" -extfile "$certs/client.ext" 2>/dev/null
openssl pkcs12 -export -in "$certs/client.pem" -inkey "$certs/client.key" -out "$certs/client.pfx" \
  -passout pass:1c-secret
# The CA as DER, as the Windows host puts it into the Wine prefix's Trusted Root store.
openssl x509 -in "$certs/ca.pem" -outform der -out "$certs/ca.der"

# ---- the servers: ws and wss; each exits when its stdin (our fd) closes ---------------------
server_pids=()
cleanup() {
  local p
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
# start NAME COMMAND... runs a test service that prints `LISTENING <port>` first, and sets PORT.
# Not called in $(...): the service must outlive the call, and it lives as long as the fd that
# feeds its stdin stays open in this shell (each exits when its stdin closes).
start() {
  local name=$1 fd port
  shift
  exec {fd}> >(exec "$@" >"$RUN/$name.log" 2>"$RUN/$name.err")
  server_pids+=($!)
  for _ in $(seq 200); do
    port=$(sed -n 's/^LISTENING //p' "$RUN/$name.log" 2>/dev/null | head -n1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "$name did not start: $(cat "$RUN/$name.err")"
  PORT=$port
}
server=(node tests/servers/server.js --flavor sio4 --port 0)
start server-ws "${server[@]}"
WS_PORT=$PORT
start server-wss "${server[@]}" --tls-cert "$certs/server.pem" --tls-key "$certs/server.key"
WSS_PORT=$PORT
start server-mtls "${server[@]}" --tls-cert "$certs/server.pem" --tls-key "$certs/server.key" \
  --tls-client-ca "$certs/ca.pem"
MTLS_PORT=$PORT
echo "servers: ws://127.0.0.1:$WS_PORT/ wss://127.0.0.1:$WSS_PORT/ (mutual TLS: $MTLS_PORT)"
# An HTTP CONNECT proxy for the Windows host's Proxy = "system".
start proxy python3 tests/servers/connect_proxy.py
PROXY_PORT=$PORT
echo "proxy: 127.0.0.1:$PROXY_PORT (for Proxy = \"system\" under Wine)"

# ---- hosts -----------------------------------------------------------------------------------
CFLAGS=(-std=gnu11 -O1 -Wall -Wextra -Werror)
CXXFLAGS=(-std=c++17 -O1 -Wall -Wextra -Werror -static-libstdc++ -static-libgcc)
# A file as a Windows program under Wine sees it: drive Z: is the Unix root.
winpath() {
  local p
  p=$(realpath "$1")
  echo "Z:${p//\//\\}"
}
# No Mono/Gecko install prompts, no debug chatter.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Wine hands the Unix environment to Windows programs, and SSL_CERT_FILE / SSL_CERT_DIR (set on
# many Linux machines) would replace the Windows certificate store that the Windows host tests.
unset SSL_CERT_FILE SSL_CERT_DIR

# run_host KEY LABEL HOST_CMD... : runs one scenario with a 180 s limit, logs, records.
run_host() {
  local key=$1 label=$2 log t0 rc=0
  shift 2
  log="$RUN/$key-${label// /_}.log"
  t0=$(date +%s)
  timeout 180 "$@" >"$log" 2>&1 || rc=$?
  if [ $rc = 0 ] && grep -q '^ALL OK' "$log"; then
    result ok "$key: $label" "$(($(date +%s) - t0))" "$log"
  else
    result FAIL "$key: $label (exit $rc)" "$(($(date +%s) - t0))" "$log"
    sed 's/^/    | /' "$log" | tail -n 40
  fi
}

# The five C-host scenarios; $1 = key, $2 = library path as the host sees it, $3/$4 = the CA
# files as the host sees them, then the command that starts the host.
c_scenarios() {
  local key=$1 lib=$2 ca=$3 other=$4
  shift 4
  run_host "$key" "C host ws events" "$@" "$lib" "ws://127.0.0.1:$WS_PORT/"
  run_host "$key" "C host ws queue (server)" "$@" "$lib" "ws://127.0.0.1:$WS_PORT/" --server
  run_host "$key" "C host wss custom CA" "$@" "$lib" "wss://127.0.0.1:$WSS_PORT/" --ca "$ca"
  run_host "$key" "C host wss unknown CA rejected" "$@" "$lib" "wss://127.0.0.1:$WSS_PORT/" --ca "$other" \
    --expect-reject
  run_host "$key" "C host wss unverified (opt-in)" "$@" "$lib" "wss://127.0.0.1:$WSS_PORT/" --insecure
}

# The C++ host was written for LP64 and i386 Linux (tests/cpp_host/host.cpp).
cpp_live() {
  local key=$1 lib=$2
  shift 2
  run_host "$key" "C++ host live" "$@" "$lib" "ws://127.0.0.1:$WS_PORT/" --keep-going
}

for key in "${keys[@]}"; do
  lib=$(packaged_lib "$key")
  [ -f "$lib" ] || die "$lib not found: run .ci/package/build.sh $key first"
  section "run $key: $(basename "$lib")"
  h="$RUN/host-$key"
  case $key in
    lin64)
      gcc "${CFLAGS[@]}" -o "$h" tests/cross_hosts/host.c -ldl -lpthread
      g++ "${CXXFLAGS[@]}" -o "$h-cpp" tests/cpp_host/host.cpp -ldl -lpthread
      c_scenarios "$key" "$lib" "$certs/ca.pem" "$certs/other-ca.pem" "$h"
      cpp_live "$key" "$lib" "$h-cpp"
      ;;
    lin32)
      # /lib/ld-linux.so.2 is absent on this x86_64 system: start through the cross loader.
      run=(/usr/i686-linux-gnu/lib/ld-linux.so.2 --library-path /usr/i686-linux-gnu/lib)
      i686-linux-gnu-gcc "${CFLAGS[@]}" -o "$h" tests/cross_hosts/host.c -ldl -lpthread
      i686-linux-gnu-g++ "${CXXFLAGS[@]}" -o "$h-cpp" tests/cpp_host/host.cpp -ldl -lpthread
      c_scenarios "$key" "$lib" "$certs/ca.pem" "$certs/other-ca.pem" "${run[@]}" "$h"
      cpp_live "$key" "$lib" "${run[@]}" "$h-cpp"
      ;;
    linarm64)
      run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) # binfmt is not set up: call qemu explicitly
      aarch64-linux-gnu-gcc "${CFLAGS[@]}" -o "$h" tests/cross_hosts/host.c -ldl -lpthread
      aarch64-linux-gnu-g++ "${CXXFLAGS[@]}" -o "$h-cpp" tests/cpp_host/host.cpp -ldl -lpthread
      c_scenarios "$key" "$lib" "$certs/ca.pem" "$certs/other-ca.pem" "${run[@]}" "$h"
      cpp_live "$key" "$lib" "${run[@]}" "$h-cpp"
      ;;
    win64 | win32)
      if [ $key = win64 ]; then
        wine=(wine) # Debian's 64-bit Wine 8
        export WINEPREFIX="$ROOT/target/wine" WINEARCH=win64
      else
        wine=("$(bash .ci/package/wine32.sh)") # Debian's 32-bit Wine 8, unpacked privately
        export WINEPREFIX="$ROOT/target/wine32/prefix" WINEARCH=win32
        # crypt32 (the add-in reads the Windows certificate stores) needs user32, which needs
        # zlib1.dll: from the unpacked tree into the prefix, where this Wine finds it.
        mkdir -p "$WINEPREFIX/drive_c/windows/system32"
        cp "$(bash .ci/package/wine32.sh --zlib)" "$WINEPREFIX/drive_c/windows/system32/zlib1.dll"
      fi
      exe=$(bash .ci/package/msvc-host.sh "$key")
      echo "compiled $(basename "$exe") with clang for the MSVC ABI: its static_asserts passed"
      # The first start creates the prefix (tens of seconds); the host's usage exit (2) shows
      # that this Wine starts programs of this bitness at all.
      probe=0
      timeout 300 "${wine[@]}" "$exe" >"$RUN/$key-probe.log" 2>&1 || probe=$?
      if [ $probe != 2 ]; then
        result FAIL "$key: Wine cannot start the host (exit $probe)" 0 "$RUN/$key-probe.log"
        continue
      fi
      # Proxy = "system": the user's Internet settings of this prefix name the test proxy.
      settings='HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings'
      "${wine[@]}" reg add "$settings" /v ProxyEnable /t REG_DWORD /d 1 /f >/dev/null 2>&1
      "${wine[@]}" reg add "$settings" /v ProxyServer /t REG_SZ /d "127.0.0.1:$PROXY_PORT" /f >/dev/null 2>&1
      run_host "$key" "MSVC-ABI host, every scenario" "${wine[@]}" "$exe" "$(winpath "$lib")" \
        --proxied "ws://via-proxy.invalid:$WS_PORT/" \
        --ws "ws://127.0.0.1:$WS_PORT/" --wss "wss://127.0.0.1:$WSS_PORT/" \
        --ca "$(winpath "$certs/ca.pem")" --ca-der "$(winpath "$certs/ca.der")" \
        --other-ca "$(winpath "$certs/other-ca.pem")" \
        --mtls "wss://127.0.0.1:$MTLS_PORT/" --pfx "$(winpath "$certs/client.pfx")"
      ;;
  esac
done

echo
echo "$passed passed, $failed failed"
[ $failed = 0 ]
