using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;

namespace Microsoft.ML.DeltaLoRA.Tests.Benchmarks;

/// <summary>
/// The PyTorch peer of the benchmarks' <c>peers</c> report (test/Microsoft.ML.DeltaLoRA.Benchmarks/peers/torch_peer.py) is a
/// correct BERT: its eval forward on the tiny Hugging Face BertForSequenceClassification fixture equals what transformers 4.31
/// computed (expected_outputs.json) within 1e-4, so the ratios it produces compare against a real implementation. Skipped when
/// python3-torch is not installed (test/Microsoft.ML.DeltaLoRA.Benchmarks/setup-peers.sh installs it; ./build.sh test does not).
/// </summary>
public class TorchPeerForwardTests
{
    private const double Tolerance = 1e-4;

    [TorchPeerFact]
    public void ForwardEqualsTransformersOnTheBertFixture()
    {
        var folder = HuggingFaceFixtures.ModelFolder("bert", "BertForSequenceClassification");
        var expected = HuggingFaceFixtures.Expected("bert").GetProperty("models").GetProperty("BertForSequenceClassification")
            .GetProperty("cases").GetProperty("tokenized_texts");
        var inputs = expected.GetProperty("inputs");
        var ids = inputs.GetProperty("input_ids").Deserialize<long[][]>()!;
        var mask = inputs.GetProperty("attention_mask").Deserialize<long[][]>()!;
        Assert.All(inputs.GetProperty("token_type_ids").Deserialize<long[][]>()!, row => Assert.All(row, t => Assert.Equal(0, t)));

        var reply = RunPeer(Path.Combine(folder, "config.json"), Path.Combine(folder, "model.safetensors"),
            new JsonObject { ["cmd"] = "forward", ["input_ids"] = JsonSerializer.SerializeToNode(ids), ["attention_mask"] = JsonSerializer.SerializeToNode(mask) });

        var outputs = expected.GetProperty("outputs");
        var logits = outputs.GetProperty("logits").GetProperty("float32").Deserialize<float[][]>()!.SelectMany(r => r).ToArray();
        var peerLogits = reply["logits"]!.AsArray().Select(v => (float)v!).ToArray();
        Assert.Equal(logits.Length, peerLogits.Length);
        Assert.All(logits.Zip(peerLogits), pair => Assert.True(Math.Abs(pair.First - pair.Second) <= Tolerance, $"logit {pair.Second} vs transformers' {pair.First}"));

        var states = outputs.GetProperty("hidden_states").GetProperty("float32"); // index 0 the embeddings, i the output of layer i
        var last = states[states.GetArrayLength() - 1].Deserialize<float[][][]>()!;
        var peerHidden = reply["last_hidden_state"]!.AsArray().Select(v => (float)v!).ToArray();
        int width = last[0][0].Length;
        Assert.Equal(ids.Length * ids[0].Length * width, peerHidden.Length);
        double worst = 0;
        for (int b = 0; b < ids.Length; b++)
            for (int t = 0; t < ids[b].Length; t++)
                if (mask[b][t] == 1)
                    for (int h = 0; h < width; h++)
                        worst = Math.Max(worst, Math.Abs(last[b][t][h] - peerHidden[(b * ids[b].Length + t) * width + h]));
        Assert.True(worst <= Tolerance, $"max |peer - transformers| over the last hidden state at real tokens = {worst:E2}");
    }

    /// <summary>One request to the PyTorch peer over <paramref name="config"/> and <paramref name="weights"/>, and its reply.</summary>
    internal static JsonObject RunPeer(string config, string weights, JsonObject request)
    {
        var start = new ProcessStartInfo(TorchPeerFactAttribute.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { TorchPeerFactAttribute.Script!, "--config", config, "--weights", weights, "--threads", "1" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        Assert.NotNull(JsonNode.Parse(process.StandardOutput.ReadLine()!)!["ready"]);
        process.StandardInput.WriteLine(request.ToJsonString());
        process.StandardInput.Flush();
        var reply = JsonNode.Parse(process.StandardOutput.ReadLine()!)!.AsObject();
        process.StandardInput.WriteLine("""{"cmd": "quit"}""");
        process.StandardInput.Close();
        process.WaitForExit(10_000);
        Assert.Null(reply["error"]);
        return reply;
    }
}

/// <summary>A fact that needs ../shared, the peer script and a python3 that imports torch and safetensors; skipped with the reason otherwise.</summary>
public sealed class TorchPeerFactAttribute : FactAttribute
{
    public static string Python => Environment.GetEnvironmentVariable("DELTALORA_PEER_PYTHON") is { Length: > 0 } configured ? configured : "/usr/bin/python3";

    /// <summary>The script in the repository (found from the test's folder upwards), or null.</summary>
    public static string? Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "test", "Microsoft.ML.DeltaLoRA.Benchmarks", "peers", "torch_peer.py");
                if (File.Exists(path)) return path;
            }
            return null;
        }
    }

    public TorchPeerFactAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.MissingReason;
        else if (Script is null) Skip = "test/Microsoft.ML.DeltaLoRA.Benchmarks/peers/torch_peer.py was not found above the test's folder.";
        else if (!CanImportTorch()) Skip = $"{Python} cannot import torch and safetensors; run test/Microsoft.ML.DeltaLoRA.Benchmarks/setup-peers.sh to check the PyTorch peer.";
    }

    private static bool CanImportTorch()
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import torch, safetensors"]) { RedirectStandardError = true })!;
            probe.StandardError.ReadToEnd();
            probe.WaitForExit();
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
