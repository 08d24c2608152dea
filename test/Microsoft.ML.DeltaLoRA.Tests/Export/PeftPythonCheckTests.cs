using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.MLNet;

namespace Microsoft.ML.DeltaLoRA.Tests.Export;

/// <summary>
/// The exported adapter applied by PEFT itself (test/reference/peft/peft_logits.py: transformers' AutoModelForSequenceClassification
/// on the fixture, then PeftModel.from_pretrained) gives our fine-tuned logits within 1e-4, LoRA and Delta-LoRA. Skipped, with the
/// reason, where python3 cannot import torch, transformers and peft (this machine: none of them; no PyPI).
/// </summary>
public class PeftPythonCheckTests
{
    [PeftPythonTheory]
    [InlineData("bert", 0.5)]
    [InlineData("roberta", 0.5)]
    [InlineData("distilbert", 0.5)]
    [InlineData("bert", 0.0)]
    public void PEFT_applies_the_exported_adapter_to_our_logits(string family, double updateRatio)
    {
        using var fineTune = new KnownFineTune(family, updateRatio);
        using var adapter = new ExportedAdapter(fineTune);
        var texts = adapter.Sibling("texts.json");
        File.WriteAllText(texts, JsonSerializer.Serialize(fineTune.Sentences));
        var reply = PeftPythonTheoryAttribute.Run("--base", fineTune.Fixture, "--adapter", adapter.Folder, "--num-labels", fineTune.Model.NumLabels.ToString(),
            "--max-length", KnownFineTune.MaxTokens.ToString(), "--texts", texts);
        var logits = reply["logits"]!.AsArray().SelectMany(row => row!.AsArray().Select(v => (float)v!)).ToArray();
        var difference = HuggingFaceExportTests.MaxDifference(fineTune.ReferenceLogits, logits);
        Assert.True(difference <= 1e-4, $"PEFT {reply["peft"]} computed logits {difference} away from ours");
    }
}

/// <summary>A theory that needs ../shared and a python3 with torch, transformers and peft; skipped with the reason otherwise.</summary>
public sealed class PeftPythonTheoryAttribute : TheoryAttribute
{
    private static readonly Lazy<string?> MissingReason = new(() =>
    {
        if (Script is null) return "test/reference/peft/peft_logits.py was not found above the test's folder.";
        try
        {
            var probe = Start(["-c", "import torch, transformers, peft"]);
            probe.WaitForExit(60_000);
            return probe.ExitCode == 0 ? null : $"python3 cannot import torch, transformers and peft: {probe.StandardError.ReadToEnd().Trim().Split('\n')[^1]}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "python3 is not installed.";
        }
    });

    public PeftPythonTheoryAttribute()
    {
        if (!SharedData.IsAvailable) Skip = SharedData.MissingReason;
        else if (MissingReason.Value is { } reason) Skip = reason;
    }

    private static string? Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var script = Path.Combine(dir.FullName, "test", "reference", "peft", "peft_logits.py");
                if (File.Exists(script)) return script;
            }
            return null;
        }
    }

    /// <summary>Runs the script with <paramref name="arguments"/> and returns its JSON line.</summary>
    public static JsonObject Run(params string[] arguments)
    {
        using var process = Start([Script!, .. arguments]);
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"peft_logits.py failed: {error}");
        return JsonNode.Parse(output.Trim().Split('\n')[^1])!.AsObject();
    }

    private static Process Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }
}
