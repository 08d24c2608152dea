using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.Peers;

/// <summary>
/// The PyTorch peer (<c>peers/torch_peer.py</c>) as a child process with the same thread count, driven by one JSON line per
/// request and reply. Its stderr goes to ours. Any reply with an "error" field stops the benchmark with that message.
/// </summary>
internal sealed class TorchPeerProcess : IDisposable
{
    private readonly Process _process;

    private TorchPeerProcess(Process process, JsonObject ready)
    {
        _process = process;
        Version = (string?)ready["torch"] ?? "unknown";
        Threads = (int?)ready["threads"] ?? 0;
    }

    /// <summary>The python interpreter: <c>DELTALORA_PEER_PYTHON</c>, else Debian's <c>/usr/bin/python3</c> (where apt installs python3-torch).</summary>
    public static string Python => Environment.GetEnvironmentVariable("DELTALORA_PEER_PYTHON") is { Length: > 0 } configured ? configured : "/usr/bin/python3";

    public static string Script => Path.Combine(AppContext.BaseDirectory, "peers", "torch_peer.py");

    public string Version { get; }
    public int Threads { get; }

    /// <summary>Null with the reason when python3-torch or python3-safetensors cannot be imported.</summary>
    public static string? Unavailable()
    {
        if (!File.Exists(Script)) return $"{Script} is missing (it is copied beside the benchmark at build time).";
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, safetensors"]) { RedirectStandardError = true })!;
            string error = probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0 ? null : $"{Python} cannot import torch and safetensors (run test/Microsoft.ML.DeltaLoRA.Benchmarks/setup-peers.sh): {error.Trim().Split('\n').Last()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{Python} could not be started ({e.Message}); run test/Microsoft.ML.DeltaLoRA.Benchmarks/setup-peers.sh.";
        }
    }

    public static TorchPeerProcess Start(string configFile, IEnumerable<string> weightFiles, int threads)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { Script, "--config", configFile, "--threads", $"{threads}" }) start.ArgumentList.Add(argument);
        foreach (var file in weightFiles)
        {
            start.ArgumentList.Add("--weights");
            start.ArgumentList.Add(file);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
        var ready = ReadReply(process);
        return new TorchPeerProcess(process, ready);
    }

    public JsonObject Send(object request)
    {
        _process.StandardInput.WriteLine(JsonSerializer.Serialize(request));
        _process.StandardInput.Flush();
        return ReadReply(_process);
    }

    private static JsonObject ReadReply(Process process)
    {
        var line = process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"The PyTorch peer exited (code {(process.HasExited ? process.ExitCode : -1)}) without replying; see its messages above.");
        var reply = JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"The PyTorch peer replied '{line}', not a JSON object.");
        if (reply["error"] is { } error) throw new InvalidOperationException($"The PyTorch peer failed: {error}");
        return reply;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("""{"cmd": "quit"}""");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
        }
        catch (IOException)
        {
            // The child already closed its pipe.
        }
        _process.Dispose();
    }
}
