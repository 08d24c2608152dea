using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Tests.Export;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// A PEFT adapter as an ML.NET scoring pipeline (what <c>deltalora import-peft</c> saves): after a save and a load, its Score
/// column is the softmax of the fine-tuned model's logits, and its PredictedLabel the named class of the largest.
/// </summary>
public class PeftAdapterPipelineTests
{

    public sealed class TextRow
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    [SharedFact]
    public void An_imported_adapter_scores_the_fine_tuned_models_probabilities_after_save_and_load()
    {
        using var fineTune = new KnownFineTune("bert", 0.5);
        using var adapter = new ExportedAdapter(fineTune);
        var classes = new[] { "negative", "neutral", "positive" }[..fineTune.Model.NumLabels];
        var ml = new MLContext(seed: 1);
        var (model, schema) = PeftAdapterPipeline.Create(ml, adapter.Folder, baseModel: null, classes, nameof(TextRow.Text), nameof(TextRow.Label), KnownFineTune.MaxTokens);
        var zip = adapter.Sibling("imported.zip");
        using (model as IDisposable) ml.Model.Save(model, schema, zip);

        var loaded = new MLContext(seed: 1).Model.Load(zip, out _);
        var rows = ml.Data.LoadFromEnumerable(fineTune.Sentences.Select(text => new TextRow { Text = text, Label = classes[0] }));
        var scored = loaded.Transform(rows);
        var scores = MLNetTestData.ReadScores(scored);
        var predicted = scored.GetColumn<string>("PredictedLabel").ToArray();
        int k = classes.Length;
        for (int row = 0; row < scores.Length; row++)
        {
            var logits = fineTune.ReferenceLogits.AsSpan(row * k, k).ToArray();
            var softmax = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
            var expected = softmax.Select(e => e / softmax.Sum()).ToArray();
            for (int c = 0; c < k; c++) Assert.True(Math.Abs(expected[c] - scores[row][c]) <= 1e-5, $"row {row} class {c}: {scores[row][c]} vs {expected[c]}");
            Assert.Equal(classes[Array.IndexOf(logits, logits.Max())], predicted[row]);
        }
        Assert.True(scores.Select(row => row[0]).Distinct().Count() > 1, "the rows should not all score alike");
    }

    [SharedFact]
    public void Class_names_that_do_not_fit_the_head_are_refused()
    {
        using var fineTune = new KnownFineTune("bert", 0.0);
        using var adapter = new ExportedAdapter(fineTune);
        var error = Assert.Throws<ArgumentException>(() => PeftAdapterPipeline.Create(new MLContext(), adapter.Folder, null, ["yes", "no"], "Text", "Label", 32));
        Assert.Contains("head of 3 outputs", error.Message);
        Assert.Contains("yes, no", error.Message);
    }
}
