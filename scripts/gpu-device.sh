#!/usr/bin/env bash
# For a development session with a lent GPU machine (see ../shared/gpu/README.md):
# after ../shared/gpu/pack.sh and `cp scripts/gpu-figures.py scripts/gpu-concurrency-diag.py .gpu/`, one device call
# `bash scripts/gpu-device.sh` (carry .gpu) builds Ollama's CUDA backend, writes the
# 8B-shape model meanwhile, starts `ollama serve` (OLLAMA_NUM_PARALLEL=8) and runs
# scripts/gpu-figures.py into $OUT: the README's GPU table; then
# scripts/gpu-concurrency-diag.py (copy it into .gpu/ too). About 10 minutes.
G=$PWD/.gpu; O=/tmp/o; mkdir -p $O/bin /tmp/src /tmp/models
xz -dc $G/ollama.xz > $O/bin/ollama; xz -dc $G/benchmcp.xz > $O/bin/benchmcp; chmod +x $O/bin/*
tar xzf $G/ollama-src.tgz -C /tmp/src
( t=$(date +%s); $O/bin/benchmcp fixture --no-create llama3-8b-shape > /tmp/fx.log 2>&1; echo "fixture file rc=$? in $(( $(date +%s)-t )) s" >> /tmp/fx.log ) & fp=$!
t=$(date +%s)
cd /tmp/src && cmake --preset CPU -DGGML_CPU_ALL_VARIANTS=OFF > /tmp/cmake.log 2>&1 && cmake --build --preset CPU -j 16 > /tmp/build-cpu.log 2>&1 && cmake --install build --component CPU > /dev/null
cmake --preset 'CUDA 13' -DCMAKE_CUDA_ARCHITECTURES=90 -DGGML_CPU_ALL_VARIANTS=OFF >> /tmp/cmake.log 2>&1
cmake --build --preset 'CUDA 13' -j 16 > /tmp/build.log 2>&1; echo "build rc=$? in $(( $(date +%s)-t )) s"
cmake --install build --component CUDA > /dev/null
ln -sfn /tmp/src/dist/lib $O/lib
wait $fp; cat /tmp/fx.log | tail -2
cd $G/..
export PATH=$O/bin:$PATH OLLAMA_MODELS=/tmp/models OLLAMA_HOST=127.0.0.1:11434 OLLAMA_NUM_PARALLEL=8
setsid ollama serve > $OUT/serve.log 2>&1 &
sleep 4
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee $OUT/gpu.txt
PYTHONUNBUFFERED=1 python3 $G/gpu-figures.py --out $OUT --calls 16 --tokens 128 --rounds 2 > $OUT/table.md 2> $OUT/log.txt
cat $OUT/table.md; tail -20 $OUT/log.txt
[ -f $G/gpu-concurrency-diag.py ] && PYTHONUNBUFFERED=1 python3 $G/gpu-concurrency-diag.py $OUT 2>&1 | tee $OUT/diag.txt
