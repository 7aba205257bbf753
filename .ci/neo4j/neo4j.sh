#!/usr/bin/env bash
# A Neo4j 5.26 Community server on 127.0.0.1 for development and CI, without docker.
#
#   .ci/neo4j/neo4j.sh start     # build the launcher once (Maven), start in the background, wait for Bolt
#   .ci/neo4j/neo4j.sh status
#   .ci/neo4j/neo4j.sh stop      # stop the server started here, by its PID
#
# Environment: KITH_NEO4J_PASSWORD (default kith-dev-password, printed), NEO4J_PORT (default 7687),
# NEO4J_RUN (the folder of its PID file, log and data; default .ci/neo4j/run), NEO4J_DATA (default
# $NEO4J_RUN/data; kept between runs), NEO4J_HEAP (the JVM's heap, default 1g), NEO4J_PAGECACHE (MiB,
# default 256; the crash test's throw-away server takes less), NEO4J_JAVA_OPTS (more JVM options; the test
# servers take -XX:TieredStopAtLevel=1, the C1 compiler only: a start costs 10 s of CPU instead of 19 s),
# NEO4J_PLAN_BY_SIZE (false for the test servers: one cached Cypher plan per statement, not one more for each
# size class of each list parameter; see Neo4jServer.java), NEO4J_EXPRESSIONS=interpreted and NEO4J_REPLAN=false
# (the test servers too: Cypher expressions never compiled to bytecode, read plans never made again as the
# counts change; see Neo4jServer.java).
#
# Memory: heap -Xms = -Xmx = $NEO4J_HEAP with the parallel collector (on 2 shared cores, G1 with a
# 256 MiB start took 45 % of the server's CPU during an ingest in young and concurrent collections, this
# 10 %), and a 96 MiB metaspace from the start (the default 21 MiB grew by two full collections, ~0.25 s
# each, to the ~45 MiB a server uses); page cache $NEO4J_PAGECACHE MiB (Neo4jServer.java; the default 256
# holds the store files that the dev and CI data sets fit in: 122 MiB of store files after the 50k-message
# bench and the ingest and contract tests); all transactions together may hold
# dbms.memory.transaction.total.max = 70 % of the heap (717 MiB at 1g). The store keeps each write
# transaction bounded (graph/neo4j_store.py: _TX_INTERACTIONS, _WIPE_BATCH), so 1g suffices.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
run="${NEO4J_RUN:-$here/run}"
pidfile="$run/neo4j.pid"
log="$run/neo4j.log"
port="${NEO4J_PORT:-7687}"
data="${NEO4J_DATA:-$run/data}"
export KITH_NEO4J_PASSWORD="${KITH_NEO4J_PASSWORD:-kith-dev-password}"

running_pid() {  # the PID of the server started here, if it is still running
    [[ -f "$pidfile" ]] || return 1
    local pid; pid="$(cat "$pidfile")"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q kith.Neo4jServer && echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

classpath() { echo "$here/target/kith-neo4j-launcher-1.jar:$(cat "$here/target/classpath.txt")"; }  # jars only: CDS needs them

build() {  # compile the launcher, write its classpath and its class-data archive, when the sources (or this script) changed
    local stamp="$here/target/built"
    if [[ ! -f "$stamp" || "$here/pom.xml" -nt "$stamp" || "$here/src/main/java/kith/Neo4jServer.java" -nt "$stamp" \
          || "$here/neo4j.sh" -nt "$stamp" ]]; then
        echo "neo4j: building the launcher (Maven; the first build downloads Neo4j, ~160 MB)" >&2
        if ! mvn -q -B -f "$here/pom.xml" package > "$here/target-build.log" 2>&1; then
            cat "$here/target-build.log" >&2; echo "neo4j: the Maven build failed (output above)" >&2; return 1
        fi
        rm -f "$here/target-build.log"
        unsign
        archive
        touch "$stamp"
    fi
}

# Signed jars (eclipse-collections, 12 MB) on the classpath as unsigned copies in target/unsigned: the JVM
# checked their signatures on every start (a SHA-256 of each class it loaded from them, ~1 s of CPU) and CDS
# leaves classes of signed jars out of the archive (~720 classes loaded and verified from the jar each start).
unsign() {
    python3 - "$here/target" <<'PY'
import re, sys, zipfile
from pathlib import Path
target = Path(sys.argv[1]); out = target / "unsigned"; out.mkdir(exist_ok=True)
signature = re.compile(r"META-INF/[^/]+\.(SF|RSA|DSA|EC)$")
jars = (target / "classpath.txt").read_text().strip().split(":")
for n, jar in enumerate(jars):
    with zipfile.ZipFile(jar) as z:
        if not any(signature.match(name) for name in z.namelist()):
            continue
        copy = out / Path(jar).name
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                if signature.match(info.filename):
                    continue
                data = z.read(info)
                if info.filename == "META-INF/MANIFEST.MF":  # its main section, not a digest of every entry
                    data = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0] + b"\n\n"
                w.writestr(info, data)
    jars[n] = str(copy)
(target / "classpath.txt").write_text(":".join(jars))
PY
}

# AppCDS: the classes one start loads, parsed and verified once into target/neo4j.jsa (a throw-away server
# started and stopped; ~110 MB), mapped by every later start: a start costs ~7 s of CPU instead of ~10 s.
archive() {
    local tmp port pid deadline=$((SECONDS + 180)); tmp="$(mktemp -d)"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    rm -f "$here/target/neo4j.jsa"
    NEO4J_PAGECACHE=8 java -XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit="$here/target/neo4j.jsa" -Xlog:cds=off \
        -Xlog:cds+dynamic=off -XX:+UseParallelGC -cp "$(classpath)" kith.Neo4jServer "$tmp/data" "$port" > "$tmp/log" 2>&1 &
    pid=$!
    until grep -q '^ready$' "$tmp/log" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null || (( SECONDS > deadline )); do
        sleep 0.5
    done
    kill "$pid" 2>/dev/null; wait "$pid" || true
    [[ -f "$here/target/neo4j.jsa" ]] || { echo "neo4j: no class-data archive (starts are slower); the log:" >&2; tail -n 20 "$tmp/log" >&2; }
    rm -rf "$tmp"
}

start() {
    if pid="$(running_pid)"; then echo "neo4j: already running here (PID $pid) on 127.0.0.1:$port" >&2; return 0; fi
    if port_busy; then
        echo "neo4j: 127.0.0.1:$port is already in use by another process (another Neo4j, or another run's)." >&2
        echo "       Stop it, or start this one on another port: NEO4J_PORT=7688 $0 start" >&2
        echo "       (and set KITH_NEO4J_URI=bolt://127.0.0.1:7688)." >&2
        return 1
    fi
    build
    mkdir -p "$run" "$data"
    local started=$SECONDS
    : > "$log"
    local cds=(); [[ -f "$here/target/neo4j.jsa" ]] && cds=(-XX:SharedArchiveFile="$here/target/neo4j.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
    nohup java ${NEO4J_JAVA_OPTS:-} "${cds[@]}" "-Xms${NEO4J_HEAP:-1g}" "-Xmx${NEO4J_HEAP:-1g}" -XX:+UseParallelGC -XX:MetaspaceSize=96m -cp "$(classpath)" \
        kith.Neo4jServer "$data" "$port" > "$log" 2>&1 < /dev/null &
    local pid=$!
    echo "$pid" > "$pidfile"
    until grep -q '^ready$' "$log" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "neo4j: the server stopped while starting; the end of $log:" >&2
            tail -n 30 "$log" >&2
            rm -f "$pidfile"
            return 1
        fi
        if (( SECONDS - started > 180 )); then
            echo "neo4j: Bolt did not answer within 180 s; see $log and $data/logs/debug.log" >&2
            stop; return 1
        fi
        sleep 0.5
    done
    echo "neo4j: ready in $(( SECONDS - started )) s: KITH_NEO4J_URI=bolt://127.0.0.1:$port KITH_NEO4J_USER=neo4j" \
         "KITH_NEO4J_PASSWORD=$KITH_NEO4J_PASSWORD (PID $pid)" >&2
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then rm -f "$pidfile"; echo "neo4j: not running here" >&2; return 0; fi
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "neo4j: PID $pid did not stop in 30 s; killing it" >&2; kill -9 "$pid"; fi
    rm -f "$pidfile"
    echo "neo4j: stopped (PID $pid)" >&2
}

status() {
    if pid="$(running_pid)"; then echo "neo4j: running (PID $pid) on 127.0.0.1:$port"; else echo "neo4j: not running"; return 3; fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    build) build ;;
    *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
