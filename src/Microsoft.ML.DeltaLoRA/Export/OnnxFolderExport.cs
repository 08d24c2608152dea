using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;

namespace Microsoft.ML.DeltaLoRA.Export;

/// <summary>
/// Writes a fine-tuned model as a folder that any ONNX runtime scores without this library: <c>model.onnx</c>
/// (<see cref="OnnxExport"/>), the tokenizer files the model was trained with, <c>labels.json</c> (the class names by output
/// index) and a README.md that says what the graph's inputs and outputs mean and how to score it from C#
/// (<see cref="OnnxExportReadme"/>). The folder appears whole or not at all (<see cref="ExportFolder"/>).
/// </summary>
internal static class OnnxFolderExport
{
    public const string ModelFileName = "model.onnx";
    public const string LabelsFileName = "labels.json";

    /// <summary>The fitted model of an ML.NET pipeline, with the class names of its label's key values.</summary>
    public static void Write(DeltaLoRATransformer transformer, string folder)
    {
        var (model, task) = HuggingFaceExport.ModelAndTask(transformer);
        Write(model, task, folder);
    }

    public static void Write(TextClassificationModel model, ExportedTask task, string folder)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        if (task.OutputCount != model.NumLabels)
            throw new ArgumentException($"The task has {task.OutputCount} outputs but the model's head has {model.NumLabels}.", nameof(task));
        // Everything that can fail on the model's side happens before the folder is made.
        var graph = OnnxExport.Build(model);
        var tokenizerFiles = HuggingFaceExport.TokenizerFiles(model);
        var labels = LabelsJson(task);
        var readme = OnnxExportReadme.Text(model, task);

        ExportFolder.Write(folder, staging =>
        {
            OnnxExport.Write(graph, Path.Combine(staging, ModelFileName));
            foreach (var (name, bytes) in tokenizerFiles) File.WriteAllBytes(Path.Combine(staging, name), bytes);
            File.WriteAllText(Path.Combine(staging, LabelsFileName), labels);
            File.WriteAllText(Path.Combine(staging, HuggingFaceExport.ReadmeFileName), readme);
        });
    }

    /// <summary><c>{"task": "classification", "labels": [names by output index]}</c>, or <c>{"task": "regression"}</c>.</summary>
    public static string LabelsJson(ExportedTask task)
    {
        var json = new JsonObject { ["task"] = task.IsRegression ? "regression" : "classification" };
        if (!task.IsRegression) json["labels"] = new JsonArray(task.ClassNames!.Select(name => (JsonNode?)JsonValue.Create(name)).ToArray());
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
