#!/usr/bin/env bash
# Setup of the peers of the `peers` report (not part of ./build.sh test):
#   1. PyTorch 2.6 and safetensors from Debian 13 (trixie), with OpenBLAS (OpenMP build) as the system BLAS. Debian's python3-torch
#      calls whatever libblas.so.3 the system provides; the default is the netlib reference BLAS, which made PyTorch's training step
#      24× slower than ours (measured), not a peer anyone would pick. The trixie source is the one build/setup-native.sh adds.
#   2. The benchmark project (restores Microsoft.ML.OnnxRuntime 1.32.0 for the ONNX Runtime peer).
#   3. The ML.NET TextClassification peer (mlnet-peer/): built, then its copy of Microsoft.ML.TorchSharp.dll patched with Mono.Cecil
#      (ModelUtilsPatch.cs) so that it runs on TorchSharp 0.107, and a random-weights NAS-BERT file written in the package's own
#      format where the package looks before downloading (it cannot download offline).
# Run as root (apt). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

if ! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "setup-peers: no Debian 13 (trixie) apt source; run build/setup-native.sh (as root) first, or add one pinned low." >&2
  exit 1
fi
if ! /usr/bin/python3 -c "import torch, safetensors" 2>/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]; then
  echo "setup-peers: installing python3-torch, python3-safetensors and libopenblas0-openmp from trixie" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -t trixie python3-torch python3-safetensors libopenblas0-openmp >/dev/null
fi
update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 >/dev/null
/usr/bin/python3 -c "import torch; print('setup-peers: PyTorch', torch.__version__)" >&2

dotnet build "$here" -c Release -v q --nologo >/dev/null
echo "setup-peers: benchmark built (ONNX Runtime peer restored)" >&2

peer="$here/mlnet-peer"
dotnet build "$peer" -c Release -v q --nologo >/dev/null
out="$peer/bin/Release/net10.0"
cp "$HOME/.nuget/packages/microsoft.ml.torchsharp/0.23.1/lib/net8.0/Microsoft.ML.TorchSharp.dll" "$out/Microsoft.ML.TorchSharp.stock.dll"
dotnet "$out/MlNetTextClassificationPeer.dll" patch "$out/Microsoft.ML.TorchSharp.stock.dll" "$out/Microsoft.ML.TorchSharp.patched.dll"
cp "$out/Microsoft.ML.TorchSharp.patched.dll" "$out/Microsoft.ML.TorchSharp.dll"
dotnet "$out/MlNetTextClassificationPeer.dll" weights "$out/mlnet-temp"
# The stock package's own error on the same rows, kept for the report.
cp "$out/Microsoft.ML.TorchSharp.stock.dll" "$out/Microsoft.ML.TorchSharp.dll"
shared="${DELTALORA_SHARED:-$here/../../../shared}"
stock_output=$(dotnet "$out/MlNetTextClassificationPeer.dll" run "$out/mlnet-temp" "$shared/data/small/sst2_train_256.tsv" "$shared/data/glue/sst2/dev.tsv" 32 4 2>&1 || true)
grep -m1 -E "Exception|rror" <<< "$stock_output" > "$out/stock-error.txt" || true
cp "$out/Microsoft.ML.TorchSharp.patched.dll" "$out/Microsoft.ML.TorchSharp.dll"
echo "setup-peers: stock Microsoft.ML.TorchSharp on TorchSharp 0.107: $(cat "$out/stock-error.txt")" >&2
echo "setup-peers: done. Run: OMP_WAIT_POLICY=PASSIVE test/Microsoft.ML.DeltaLoRA.Benchmarks/bin/Release/net10.0/Microsoft.ML.DeltaLoRA.Benchmarks peers" >&2
