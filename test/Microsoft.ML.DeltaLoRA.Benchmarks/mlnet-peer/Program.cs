using Microsoft.ML.DeltaLoRA.Benchmarks.MlNetPeer;

// patch IN.dll OUT.dll [--print]: the Microsoft.ML.TorchSharp copy that runs on TorchSharp 0.107 (ModelUtilsPatch)
// weights TEMPDIR: the random-weights NAS-BERT file where TextClassification looks for it (NasBertWeights)
// run TEMPDIR TRAIN.tsv DEV.tsv TRAINROWS PERROWROWS: one measurement, "RESULT {json}" on stdout (TextClassificationRun)
var mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "patch":
        var names = ModelUtilsPatch.Apply(args[1], args[2], print: args.Contains("--print"));
        Console.WriteLine($"patched {names.Count}: {string.Join(", ", names)}");
        return names.Count == 4 ? 0 : 1;
    case "weights":
        Console.WriteLine($"wrote {NasBertWeights.Write(Path.GetFullPath(args[1]))}");
        return 0;
    case "run":
        Console.WriteLine(TextClassificationRun.Serialize(TextClassificationRun.Measure(Path.GetFullPath(args[1]), args[2], args[3], int.Parse(args[4]), int.Parse(args[5]))));
        return 0;
    default:
        Console.Error.WriteLine("usage: patch IN.dll OUT.dll [--print] | weights TEMPDIR | run TEMPDIR TRAIN.tsv DEV.tsv TRAINROWS PERROWROWS");
        return 2;
}
