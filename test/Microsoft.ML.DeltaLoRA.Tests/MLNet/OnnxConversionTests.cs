using Microsoft.ML.Data;
using Microsoft.ML.DeltaLoRA.Export;
using Microsoft.ML.DeltaLoRA.MLNet;
using Microsoft.ML.DeltaLoRA.Modeling;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Microsoft.ML.DeltaLoRA.Tests.Modeling;
using Microsoft.ML.DeltaLoRA.TextEncoding;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static Microsoft.ML.DeltaLoRA.Tests.MLNet.MLNetTestData;

namespace Microsoft.ML.DeltaLoRA.Tests.MLNet;

/// <summary>
/// ONNX from ML.NET. <c>mlContext.Model.ConvertToOnnx</c> on a MapValueToKey → DeltaLoRA → MapKeyToValue pipeline refuses with the
/// reason (it cannot carry text through our tokenization; docs/onnx.md) instead of writing a graph of MapKeyToValue alone; the
/// alternative it names, <c>transformer.SaveAsOnnx</c>, scores the GLUE dev rows (872 SST-2 sentences, 408 MRPC pairs; RoBERTa and
/// BERT fixtures) as the fitted transformer does within 1e-4, both in ONNX Runtime and through <c>mlContext.Transforms.ApplyOnnxModel</c> fed token-id columns.
/// </summary>
public class OnnxConversionTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [SharedFact]
    public void ConvertToOnnxRefusesWithTheReasonAndTheAlternative()
    {
        var ml = new MLContext(seed: 1);
        var loader = Sst2Loader(ml);
        var model = FitPipeline(ml, loader.Load(Sst2Train), ClassificationOptions());
        using var stream = new MemoryStream();

        var error = Assert.Throws<NotSupportedException>(() => ml.Model.ConvertToOnnx(model, loader.Load(Sst2Eval), stream));

        Assert.Equal(ScoredDataView.ConvertToOnnxRefusal, error.Message);
        Assert.Contains("opset", error.Message);
        Assert.Contains("transformer.SaveAsOnnx", error.Message);
        Assert.Equal(0, stream.Length);
    }

    /// <summary>RoBERTa (the ML.NET tests' fixture) on single texts and pairs; BERT on pairs, whose graph also takes token types.</summary>
    [SharedTheory]
    [InlineData("roberta", "sst2")]
    [InlineData("roberta", "mrpc")]
    [InlineData("bert", "mrpc")]
    public void SaveAsOnnxScoresTheDevRowsAsTheTransformerDoes(string family, string task)
    {
        var ml = new MLContext(seed: 1);
        var (loader, train, options) = task == "sst2"
            ? (Sst2Loader(ml), Sst2Train, ClassificationOptions())
            : (MrpcLoader(ml), MrpcTrain, ClassificationOptions(sentence2: "Sentence2"));
        options.ModelPath = HuggingFaceFixtures.ModelFolder(family, HuggingFaceFixtures.ClassName(family, "ForSequenceClassification"));
        var model = FitPipeline(ml, loader.Load(train), options);
        var transformer = model.OfType<DeltaLoRATransformer>().Single();
        var dev = loader.Load(SharedData.PathOf("data", "glue", task, "dev.tsv"));
        var (texts, ours) = TextsAndScores(model.Transform(dev), transformer);
        Assert.True(texts.Length >= 200, $"only {texts.Length} dev rows");
        using var folder = new TemporaryDirectory();
        var path = folder.File("model.onnx");
        transformer.SaveAsOnnx(path);
        using (var stream = new MemoryStream())
        {
            transformer.SaveAsOnnx(stream);
            Assert.Equal(File.ReadAllBytes(path), stream.ToArray());
        }

        var network = HuggingFaceExport.ModelAndTask(transformer).Model;
        var sequences = texts.Select(t => network.Encode(t.First, t.Second, options.MaxSequenceLength)).ToArray();
        using var session = new InferenceSession(path);
        var ortScores = sequences.Select(sequence => OnnxRuntimeProbabilities(session, sequence)).ToArray();
        var mlnetScores = ApplyOnnxModelProbabilities(ml, path, sequences, network.Tokenizer.PadTokenId, options.MaxSequenceLength);

        var ortDifference = MaxDifference(ours, ortScores);
        var mlnetDifference = MaxDifference(ours, mlnetScores);
        output.WriteLine($"{family} {task}: {texts.Length} rows, max |Score - probabilities| ORT {ortDifference:E2}, ApplyOnnxModel {mlnetDifference:E2}");
        Assert.True(ortDifference < Tolerance, $"ORT's probabilities differ from the Score column by up to {ortDifference:E3}");
        Assert.True(mlnetDifference < Tolerance, $"ApplyOnnxModel's probabilities differ from the Score column by up to {mlnetDifference:E3}");
        Assert.True(ours.Select(s => s.Max() - s.Min()).Max() > 1e-3, "the scores are all equal; the comparison would prove nothing");
    }

    /// <summary>
    /// What a text-input graph would need from ML.NET, which it has: ApplyOnnxModel runs ONNX Runtime Extensions' ops once the
    /// context's session options register them (<c>SetOnnxSessionOption</c>, <c>CreateSessionOptions</c>); without them the
    /// session cannot be made. ML.NET feeds one row at a time, so the BertTokenizer op's one-row limit does not bite here.
    /// </summary>
    [SharedFact]
    public void ApplyOnnxModelRunsExtensionsOpsWhenTheContextRegistersThem()
    {
        var vocabulary = SharedData.PathOf("fixtures", "tokenizers", "bert-base-uncased-vocab.txt");
        using var op = Export.ExtensionsTokenizerOps.Bert(vocabulary, lowerCase: true, maxLength: 64);
        using var folder = new TemporaryDirectory();
        var path = folder.File("tokenizer.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(op.Proto));
        var texts = new[] { "a gorgeous, witty film", "it 's a dull mess" };
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { text = t }));

        var unregistered = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ApplyOnnxModel(["input_ids"], ["text"], path).Fit(data));
        Assert.Contains("BertTokenizer(-1) is not a registered function/op", unregistered.Message);

        Transforms.Onnx.OnnxSessionOptionsExtensions.SetOnnxSessionOption(ml, new Transforms.Onnx.OnnxSessionOptions
        {
            CreateSessionOptions = () =>
            {
                var options = new SessionOptions();
                options.RegisterOrtExtensions();
                return options;
            },
        });
        var pipeline = ml.Transforms.ApplyOnnxModel(["input_ids"], ["text"], path);
        var ids = pipeline.Fit(data).Transform(data).GetColumn<long[]>("input_ids").ToArray();
        var ours = WordPieceSequenceTokenizer.Create(vocabulary, new WordPieceSettings { LowerCase = true });
        Assert.Equal(texts.Select(t => ours.Encode(t, null, 64).InputIds.Select(id => (long)id).ToArray()), ids);
    }

    /// <summary>
    /// Not what stops ConvertToOnnx: ML.NET's converter writes the opset imports itself ("" at most 12 and ai.onnx.ml 2, never
    /// ai.onnx.contrib), yet ONNX Runtime runs an ai.onnx.contrib node in such a model once the Extensions ops are registered.
    /// </summary>
    [SharedFact]
    public void OnnxRuntimeRunsAnExtensionsNodeWithoutItsOpsetImport()
    {
        var vocabulary = SharedData.PathOf("fixtures", "tokenizers", "bert-base-uncased-vocab.txt");
        using var op = Export.ExtensionsTokenizerOps.Bert(vocabulary, lowerCase: true, maxLength: 64);
        var model = op.Proto.Clone();
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new Onnx.OperatorSetIdProto { Domain = "ai.onnx.ml", Version = 2 });
        model.OpsetImport.Add(new Onnx.OperatorSetIdProto { Domain = "", Version = 12 });
        using var options = new SessionOptions();
        options.RegisterOrtExtensions();

        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("text", new DenseTensor<string>(new[] { "hello world" }, [1, 1]))], ["input_ids"]);

        var ours = WordPieceSequenceTokenizer.Create(vocabulary, new WordPieceSettings { LowerCase = true });
        Assert.Equal(ours.Encode("hello world", null, 64).InputIds.Select(id => (long)id), results.Single().AsEnumerable<long>());
    }

    private sealed class TextRow
    {
        public string text { get; set; } = "";
    }

    private static TransformerChain<Transforms.KeyToValueMappingTransformer> FitPipeline(MLContext ml, IDataView train, DeltaLoRAOptions options)
        => ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.DeltaLoRA(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(train);

    /// <summary>The texts of each scored row and its Score column (class probabilities).</summary>
    private static ((string First, string? Second)[] Texts, float[][] Scores) TextsAndScores(IDataView scored, DeltaLoRATransformer transformer)
    {
        var first = scored.GetColumn<ReadOnlyMemory<char>>(transformer.Sentence1ColumnName).Select(t => t.ToString()).ToArray();
        var second = transformer.Sentence2ColumnName is { } name
            ? scored.GetColumn<ReadOnlyMemory<char>>(name).Select(t => (string?)t.ToString()).ToArray()
            : new string?[first.Length];
        var scores = scored.GetColumn<float[]>(transformer.ScoreColumnName).ToArray();
        return (first.Zip(second).ToArray(), scores);
    }

    /// <summary>ORT's probabilities for one row, fed as a batch of one (no padding).</summary>
    private static float[] OnnxRuntimeProbabilities(InferenceSession session, EncodedSequence sequence)
    {
        var length = sequence.InputIds.Length;
        var inputs = new List<NamedOnnxValue>
        {
            Input("input_ids", sequence.InputIds),
            Input("attention_mask", Enumerable.Repeat(1, length).ToArray()),
        };
        if (session.InputMetadata.ContainsKey("token_type_ids")) inputs.Add(Input("token_type_ids", sequence.TokenTypeIds));
        using var results = session.Run(inputs, ["probabilities"]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    private static NamedOnnxValue Input(string name, int[] values)
        => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values.Select(v => (long)v).ToArray(), [1, values.Length]));

    /// <summary>
    /// <c>ApplyOnnxModel</c> on token-id columns: each row padded to the maximum length (mask 0 on padding), the graph's dynamic
    /// [batch, sequence] inputs fixed to [1, maxLength] by its shape dictionary.
    /// </summary>
    private static float[][] ApplyOnnxModelProbabilities(MLContext ml, string modelPath, EncodedSequence[] sequences, int padId, int maxLength)
    {
        var rows = sequences.Select(s => new TokenRow
        {
            input_ids = Pad(s.InputIds, maxLength, padId),
            attention_mask = Pad(Enumerable.Repeat(1, s.InputIds.Length).ToArray(), maxLength, 0),
            token_type_ids = Pad(s.TokenTypeIds, maxLength, 0),
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows, SchemaDefinition.Create(typeof(TokenRow)).WithVectorSize(maxLength));
        string[] inputs;
        using (var session = new InferenceSession(modelPath)) inputs = session.InputMetadata.Keys.ToArray();
        var shapes = inputs.ToDictionary(name => name, _ => new[] { 1, maxLength });
        var scored = ml.Transforms.ApplyOnnxModel(["probabilities"], inputs, modelPath, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(data).Transform(data);
        return scored.GetColumn<float[]>("probabilities").ToArray();
    }

    private static long[] Pad(int[] values, int length, int pad)
        => values.Select(v => (long)v).Concat(Enumerable.Repeat((long)pad, length - values.Length)).ToArray();

    private static double MaxDifference(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) =>
        {
            Assert.Equal(e.Length, a.Length);
            return e.Zip(a, (x, y) => Math.Abs((double)x - y)).Max();
        }).Max();
    }

    private sealed class TokenRow
    {
        public long[] input_ids { get; set; } = [];
        public long[] attention_mask { get; set; } = [];
        public long[] token_type_ids { get; set; } = [];
    }
}

file static class SchemaDefinitionExtensions
{
    /// <summary>Declares every vector column of <paramref name="schema"/> fixed-size (ApplyOnnxModel needs known sizes).</summary>
    public static SchemaDefinition WithVectorSize(this SchemaDefinition schema, int size)
    {
        foreach (var column in schema) column.ColumnType = new VectorDataViewType(NumberDataViewType.Int64, size);
        return schema;
    }
}
