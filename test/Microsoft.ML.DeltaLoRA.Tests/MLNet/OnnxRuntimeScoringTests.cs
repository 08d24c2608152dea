using System.IO.Compression;
using Microsoft.ML.Data;
using Google.Protobuf;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Pretrained;
using Xunit.Abstractions;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// ONNX Runtime as the scoring engine (<c>MLContext.Model.WithOnnxRuntimeScoring</c>): on real SST-2 sentences and MRPC pairs, a
/// pipeline fitted on each family's fixture scores with ONNX Runtime as with TorchSharp (within 1e-4, same labels), batched and one
/// row at a time, with each layer's attention as ONNX Runtime's own Attention operator; its zip holds the graph (a zip holding the
/// standard-ops graph of earlier versions still scores), loads by itself into the ONNX Runtime engine (in a fresh process too, without loading
/// TorchSharp's native libraries), and a damaged graph, settings or tokenizer blob is refused naming the blob.
/// </summary>
public class OnnxRuntimeScoringTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private sealed record Dataset(Func<MLContext, TextLoader> Loader, string Train, string Eval, string? Sentence2);

    private static Dataset Data(string task) => task switch
    {
        "sst2" => new(Sst2Loader, Sst2Train, Sst2Eval, null),
        "mrpc" => new(MrpcLoader, MrpcTrain, MrpcEval, "Sentence2"),
        _ => throw new ArgumentOutOfRangeException(nameof(task)),
    };

    /// <summary>MapValueToKey → DeltaLoRA (a few steps on the family's fixture) → MapKeyToValue, as a user's pipeline is.</summary>
    private static ITransformer Fit(MLContext ml, string family, Dataset data, SentencePairEncoding pairEncoding = SentencePairEncoding.CrossEncoder)
    {
        var options = ClassificationOptions(data.Sentence2);
        options.ModelPath = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        options.PairEncoding = pairEncoding;
        options.MaxSteps = 6;
        return ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data.Loader(ml).Load(data.Train));
    }

    /// <summary>A BERT pipeline fitted on <paramref name="data"/>, scored by ONNX Runtime and saved at <paramref name="path"/>; dispose it when done.</summary>
    private static IDisposable SaveOnnxRuntimeZip(MLContext ml, Dataset data, string path)
    {
        var onnx = (IDisposable)ml.Model.WithOnnxRuntimeScoring(Fit(ml, "bert", data));
        ml.Model.SaveAtomically((ITransformer)onnx, data.Loader(ml).GetOutputSchema(), path);
        return onnx;
    }

    public static TheoryData<string, string, SentencePairEncoding> Cases => new()
    {
        { "bert", "sst2", SentencePairEncoding.CrossEncoder },
        { "bert", "mrpc", SentencePairEncoding.CrossEncoder },
        { "bert", "mrpc", SentencePairEncoding.BiEncoder },
        { "roberta", "sst2", SentencePairEncoding.CrossEncoder },
        { "roberta", "mrpc", SentencePairEncoding.CrossEncoder },
        { "distilbert", "sst2", SentencePairEncoding.CrossEncoder },
        { "distilbert", "mrpc", SentencePairEncoding.CrossEncoder },
    };

    [SharedTheory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntimeScoresAsTheTorchSharpEngineDoes(string family, string task, SentencePairEncoding pairEncoding)
    {
        var ml = new MLContext(seed: 1);
        var data = Data(task);
        var model = Fit(ml, family, data, pairEncoding);
        using var onnx = (IDisposable)ml.Model.WithOnnxRuntimeScoring(model);
        var onnxModel = (ITransformer)onnx;
        Assert.False(DeltaLoRAPart(model).ScoresWithOnnxRuntime);
        Assert.True(DeltaLoRAPart(onnxModel).ScoresWithOnnxRuntime);
        AssertAttentionIsOnnxRuntimes(EngineGraph(onnxModel), DeltaLoRAPart(model), pairEncoding == SentencePairEncoding.BiEncoder ? 2 : 1);

        var eval = data.Loader(ml).Load(data.Eval);
        var expected = model.Transform(eval);
        var actual = onnxModel.Transform(eval);
        AssertSameScores(ReadScores(expected), ReadScores(actual), $"{family} {pairEncoding} on {task}, batched");
        AssertSameLabels(expected, actual);

        // One row at a time, through PredictionEngine (the row mapper) on the Delta-LoRA steps, on the first rows.
        var rows = ml.Data.CreateEnumerable<Row>(ml.Data.TakeRows(eval, 12), reuseRowObject: false, schemaDefinition: RowSchema(data)).ToArray();
        var torchEngine = ml.Model.CreatePredictionEngine<Row, Prediction>(DeltaLoRAPart(model), inputSchemaDefinition: RowSchema(data));
        var onnxEngine = ml.Model.CreatePredictionEngine<Row, Prediction>(DeltaLoRAPart(onnxModel), inputSchemaDefinition: RowSchema(data));
        var oneByOne = rows.Select(r => (torchEngine.Predict(r), onnxEngine.Predict(r))).ToArray();
        AssertSameScores(oneByOne.Select(p => p.Item1.Score).ToArray(), oneByOne.Select(p => p.Item2.Score).ToArray(), $"{family} {pairEncoding} on {task}, one row at a time");
        Assert.Equal(oneByOne.Select(p => p.Item1.PredictedLabel), oneByOne.Select(p => p.Item2.PredictedLabel));
    }

    /// <summary>A regression model (STS-B pairs, the DistilBERT fixture): the graph's one output is the Score, as TorchSharp's.</summary>
    [SharedFact]
    public void ARegressionModelScoresAsTheTorchSharpEngineDoes()
    {
        var ml = new MLContext(seed: 1);
        var loader = StsbLoader(ml);
        var options = ClassificationOptions("Sentence2");
        options.ModelPath = HuggingFaceFixtures.ModelFolder("distilbert", "DistilBertForSequenceClassification");
        options.MaxSteps = 6;
        using var model = ml.Regression.Trainers.DeltaLoRA(options).Fit(loader.Load(StsbTrain));
        using var onnx = (DeltaLoRATransformer)ml.Model.WithOnnxRuntimeScoring(model);

        var eval = loader.Load(StsbEval);
        AssertSameScores(ReadScores(model.Transform(eval)), ReadScores(onnx.Transform(eval)), "distilbert regression on stsb");
    }

    [SharedFact]
    public void TheSavedZipHoldsTheGraphAndLoadsIntoOnnxRuntimeByItself()
    {
        var ml = new MLContext(seed: 1);
        var data = Data("sst2");
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        using var onnx = SaveOnnxRuntimeZip(ml, data, path);

        using (var zip = ZipFile.OpenRead(path))
        {
            var payload = zip.Entries.Where(e => e.Name.StartsWith(TransformerModelFile.PayloadStreamPrefix, StringComparison.Ordinal))
                .Select(e => e.Name[TransformerModelFile.PayloadStreamPrefix.Length..]).Order(StringComparer.Ordinal).ToArray();
            Assert.Contains(OnnxRuntimeScoringEngine.GraphFileName, payload);
            Assert.Contains(OnnxRuntimeScoringEngine.SettingsFileName, payload);
            Assert.Contains("vocab.txt", payload);
            Assert.DoesNotContain(TextClassificationModel.WeightsFileName, payload); // the weights live in the graph only
        }

        using var loaded = (IDisposable)new MLContext(seed: 2).Model.Load(path, out _);
        var reloaded = DeltaLoRAPart((ITransformer)loaded);
        Assert.True(reloaded.ScoresWithOnnxRuntime);
        var eval = data.Loader(ml).Load(data.Eval);
        AssertSameScores(ReadScores(((ITransformer)onnx).Transform(eval)), ReadScores(((ITransformer)loaded).Transform(eval)), "reloaded", tolerance: 1e-6);

        // Saving the loaded model again writes the same format: it loads into ONNX Runtime once more.
        var again = folder.File("again.zip");
        ml.Model.Save((ITransformer)loaded, data.Loader(ml).GetOutputSchema(), again);
        using var loadedAgain = (IDisposable)ml.Model.Load(again, out _);
        Assert.True(DeltaLoRAPart((ITransformer)loadedAgain).ScoresWithOnnxRuntime);
    }

    /// <summary>
    /// The fresh process loads and scores the ONNX Runtime zip without loading TorchSharp's native libraries; the same check on the
    /// TorchSharp zip sees them loaded, so the check itself can fail.
    /// </summary>
    [SharedFact]
    public void AFreshProcessScoresTheOnnxRuntimeZipWithoutLoadingTorchSharpsNativeLibraries()
    {
        var ml = new MLContext(seed: 1);
        var data = Data("mrpc");
        var loader = data.Loader(ml);
        var model = Fit(ml, "roberta", data);
        using var onnx = (IDisposable)ml.Model.WithOnnxRuntimeScoring(model);
        using var folder = new TemporaryDirectory();
        var onnxPath = folder.File("onnx.zip");
        var torchPath = folder.File("torch.zip");
        ml.Model.Save((ITransformer)onnx, loader, onnxPath);
        ml.Model.Save(model, loader, torchPath);

        var onnxLines = ModelLoadCheckProcess.Run(onnxPath, data.Eval, "--torch-libraries");
        var torchLines = ModelLoadCheckProcess.Run(torchPath, data.Eval, "--torch-libraries");

        output.WriteLine($"ONNX Runtime zip: {onnxLines[^1]}; TorchSharp zip: {torchLines[^1]}");
        Assert.Equal("torch-libraries: none", onnxLines[^1]);
        Assert.Contains("libtorch", torchLines[^1]);
        var expected = PersistenceTests.ExpectedLines(((ITransformer)onnx).Transform(loader.Load(data.Eval)));
        Assert.Equal(File.ReadLines(data.Eval).Count() - 1, expected.Length);
        Assert.Equal(expected.Select(Label), onnxLines[..^1].Select(Label));
        AssertSameScores(expected.Select(Scores).ToArray(), onnxLines[..^1].Select(Scores).ToArray(), "fresh process", tolerance: 1e-6);

        static string Label(string line) => line.Split('\t')[0];
        static float[] Scores(string line)
            => line.Split('\t')[1].Split(' ').Select(hex => BitConverter.Int32BitsToSingle(Convert.ToInt32(hex, 16))).ToArray();
    }

    /// <summary>
    /// A zip saved before the engine's graph used ONNX Runtime's Attention holds the standard-ops graph (the portable export); it
    /// still loads into the ONNX Runtime engine and scores as the TorchSharp engine does.
    /// </summary>
    [SharedFact]
    public void AZipWithTheStandardOpsGraphStillLoadsAndScores()
    {
        var ml = new MLContext(seed: 1);
        var data = Data("mrpc");
        var model = Fit(ml, "distilbert", data);
        var torch = DeltaLoRAPart(model);
        var network = ((TorchSharpScoringEngine)torch.Scorer.Engine).Model;
        var engine = OnnxRuntimeScoringEngine.Create(OnnxExport.Build(network).ToByteArray(), HuggingFaceExport.TokenizerFiles(network),
            network.Family, ((TorchSharpScoringEngine)torch.Scorer.Engine).MaxSequenceLength);
        using var folder = new TemporaryDirectory();
        var path = folder.File("standard-ops.zip");
        using (var standardOps = new DeltaLoRATransformer(ml, new BatchScorer(engine, torch.Columns, torch.InferenceBatchSize)))
            ml.Model.Save(standardOps, data.Loader(ml).GetOutputSchema(), path);

        using var loaded = (IDisposable)ml.Model.Load(path, out _);
        var graph = EngineGraph((ITransformer)loaded);
        Assert.Contains(graph.Graph.Node, n => n.OpType == "Softmax" && n.Output[0] != "probabilities");
        Assert.DoesNotContain(graph.Graph.Node, n => n.OpType == "Attention");
        var eval = data.Loader(ml).Load(data.Eval);
        AssertSameScores(ReadScores(torch.Transform(eval)), ReadScores(((ITransformer)loaded).Transform(eval)), "the standard-ops graph, loaded");
    }

    [SharedTheory]
    [InlineData("model.onnx", "not an ONNX graph")]
    [InlineData("onnx-scorer.json", "not valid JSON")]
    [InlineData("vocab.txt", null)]
    public void ADamagedPayloadBlobIsRefusedNamingIt(string blob, string? detail)
    {
        var ml = new MLContext(seed: 1);
        var data = Data("sst2");
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.zip");
        using var onnx = SaveOnnxRuntimeZip(ml, data, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.Single(e => e.Name == TransformerModelFile.PayloadStreamPrefix + blob);
            var name = entry.FullName;
            entry.Delete();
            using var writer = new BinaryWriter(zip.CreateEntry(name).Open());
            byte[] garbage = [.. "{ this is not what was saved"u8];
            writer.Write((long)garbage.Length);
            writer.Write(garbage);
        }

        var error = Assert.ThrowsAny<Exception>(() => ml.Model.Load(path, out _));

        var cause = Assert.IsType<InvalidDataException>(Innermost(error, e => e is InvalidDataException));
        output.WriteLine(cause.Message);
        Assert.Contains(blob, cause.Message);
        if (detail is not null) Assert.Contains(detail, cause.Message);
    }

    [SharedFact]
    public void AModelWithoutADeltaLoRAStepIsRefused()
    {
        var ml = new MLContext(seed: 1);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(Sst2Loader(ml).Load(Sst2Train));

        var error = Assert.Throws<ArgumentException>(() => ml.Model.WithOnnxRuntimeScoring(keys));

        Assert.Contains("no Delta-LoRA text model", error.Message);
    }

    [NamedModelFact("use-lite")]
    public void UseLiteIsRefusedWithTheReason()
    {
        var ml = new MLContext(seed: 1);
        var engine = new TorchSharpScoringEngine(TextClassificationModel.LoadPretrained("use-lite", 2), maxSequenceLength: 32, TorchThreads.DefaultCount);
        var columns = new PredictionColumns(PredictionTask.MulticlassClassification, "Sentence1", null, "Score", "PredictedLabel", 2, null);
        using var model = new DeltaLoRATransformer(ml, new BatchScorer(engine, columns, 8));

        var error = Assert.Throws<NotSupportedException>(() => ml.Model.WithOnnxRuntimeScoring(model));

        Assert.Contains("USE-Lite", error.Message);
    }

    /// <summary>The graph the ONNX Runtime engine of <paramref name="model"/>'s Delta-LoRA step scores with (and would save).</summary>
    private static Onnx.ModelProto EngineGraph(ITransformer model)
        => Onnx.ModelProto.Parser.ParseFrom(((OnnxRuntimeScoringEngine)DeltaLoRAPart(model).Scorer.Engine).SavePayload()[OnnxRuntimeScoringEngine.GraphFileName]);

    /// <summary>
    /// Each encoder layer's self-attention is one com.microsoft Attention node (per encoded text: a bi-encoder runs the encoder
    /// <paramref name="encoderRuns"/> = 2 times), with the domain imported; no Softmax is left but the one writing the probabilities.
    /// </summary>
    private static void AssertAttentionIsOnnxRuntimes(Onnx.ModelProto graph, DeltaLoRATransformer torch, int encoderRuns)
    {
        var network = ((TorchSharpScoringEngine)torch.Scorer.Engine).Model.Network;
        var layers = ((IPretrainedTaskModel)network).Config.NumLayers;
        var attention = graph.Graph.Node.Where(n => n.OpType == "Attention").ToArray();
        Assert.Equal(layers * encoderRuns, attention.Length);
        Assert.All(attention, n => Assert.Equal("com.microsoft", n.Domain));
        Assert.Contains(graph.OpsetImport, o => o.Domain == "com.microsoft");
        Assert.Equal(["probabilities"], graph.Graph.Node.Where(n => n.OpType == "Softmax").Select(n => n.Output[0]));
    }

    private static void AssertSameScores(float[][] expected, float[][] actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Length, actual[i].Length);
        var difference = expected.Zip(actual, (e, a) => e.Zip(a, (x, y) => Math.Abs((double)x - y)).Max()).Max();
        Assert.True(difference <= tolerance, $"{what}: the ONNX Runtime engine's scores differ from the expected ones by up to {difference:E2}");
        var all = expected.SelectMany(r => r).ToArray();
        Assert.True(all.Max() - all.Min() > 1e-3, $"{what}: the scores are all alike; the comparison would prove nothing");
    }

    /// <summary>Same predicted labels, except on rows whose top two probabilities are within the tolerance (a tie either engine may break).</summary>
    private static void AssertSameLabels(IDataView expected, IDataView actual)
    {
        var scores = ReadScores(expected);
        var expectedLabels = Labels(expected);
        var actualLabels = Labels(actual);
        var decided = Enumerable.Range(0, scores.Length).Where(i =>
        {
            var sorted = scores[i].OrderDescending().ToArray();
            return sorted[0] - sorted[1] > Tolerance;
        }).ToArray();
        Assert.True(decided.Length > scores.Length / 2, "most rows should have a clear top class");
        Assert.Equal(decided.Select(i => expectedLabels[i]), decided.Select(i => actualLabels[i]));
    }

    /// <summary>PredictedLabel as text: MapKeyToValue restores the label's type, text for MRPC, Single for SST-2.</summary>
    private static string[] Labels(IDataView scored)
        => scored.Schema["PredictedLabel"].Type is TextDataViewType
            ? ReadColumn<ReadOnlyMemory<char>>(scored, "PredictedLabel").Select(v => v.ToString()).ToArray()
            : ReadColumn<float>(scored, "PredictedLabel").Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static Exception Innermost(Exception error, Func<Exception, bool> wanted)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (wanted(e)) return e;
        return error;
    }

    private static SchemaDefinition RowSchema(Dataset data)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        if (data.Sentence2 is null) schema.RemoveAll(c => c.MemberName == nameof(Row.Sentence2));
        return schema;
    }

    private sealed class Row
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
    }

    /// <summary>The Delta-LoRA step's own outputs: class probabilities and the predicted class key.</summary>
    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }
}
