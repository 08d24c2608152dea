using Microsoft.ML.DeltaLoRA.Architectures;
using Microsoft.ML.DeltaLoRA.Checkpoints;
using Microsoft.ML.DeltaLoRA.Modeling.UseLite;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Modeling.Adapters;

/// <summary>
/// Loads a Hugging Face PEFT LoRA adapter folder onto its base model, as <c>PeftModel.from_pretrained</c> on
/// <c>AutoModelForSequenceClassification</c> computes it, merged: W + s·B·A in every adapted layer and the saved head. The
/// result is an ordinary model, to predict with or to fine-tune further with any method (the merged weights are its new W_0).
/// </summary>
internal static class PeftAdapterImport
{
    /// <summary>
    /// The base model (<paramref name="baseModel"/>, else the adapter's <c>base_model_name_or_path</c>: a folder, a model name,
    /// or the Hub id of a named model) with the adapter of <paramref name="adapterFolder"/> merged. The head has the adapter's
    /// number of outputs; <paramref name="numLabels"/>, when given, must agree, and is the head's size when the adapter saved no
    /// head (allowed only with <paramref name="allowFreshHead"/>, for training: the head then starts fresh).
    /// </summary>
    public static TextClassificationModel Load(string adapterFolder, string? baseModel = null, int? numLabels = null, bool allowFreshHead = false,
        double? dropoutOverride = null, Device? device = null)
    {
        using var adapter = PeftAdapter.Read(adapterFolder);
        var baseReference = baseModel ?? adapter.Config.BaseModelNameOrPath
            ?? throw new InvalidDataException(
                $"'{Path.Combine(adapterFolder, PeftAdapterConfig.FileName)}' has no base_model_name_or_path; name the base model the adapter was trained on explicitly.");
        var baseFolder = ResolveBase(baseReference, adapterFolder, explicitBase: baseModel is not null);
        var family = EncoderConfig.Load(baseFolder).Family;

        long? adapterOutputs = adapter.RowsOf(OutputWeightName(family));
        if (adapterOutputs is { } outputs && numLabels is { } wanted && outputs != wanted)
            throw new InvalidDataException(
                $"The PEFT adapter '{adapterFolder}' has a head of {outputs} outputs ('{PeftNames.Saved(OutputWeightName(family))}'), but {wanted} are needed.");
        if (adapterOutputs is null && !(allowFreshHead && numLabels is not null))
            throw new InvalidDataException(
                $"The PEFT adapter '{adapterFolder}' saved no classification head ('{PeftNames.Saved(OutputWeightName(family))}' via modules_to_save), so it cannot predict; " +
                "it can still be the start of a fine-tune, which trains a fresh head.");

        var model = TextClassificationModel.LoadPretrained(baseFolder, (int)(adapterOutputs ?? numLabels!.Value), dropoutOverride, device,
            TransformersPooling(family));
        try
        {
            adapter.ApplyTo(model.Network, $"'{baseReference}'");
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The folder of the base model named by the adapter folder's config (its base_model_name_or_path), found without loading weights.</summary>
    public static string BaseFolder(string adapterFolder)
    {
        var reference = PeftAdapterConfig.Read(adapterFolder).BaseModelNameOrPath
            ?? throw new InvalidDataException($"'{Path.Combine(adapterFolder, PeftAdapterConfig.FileName)}' has no base_model_name_or_path.");
        return ResolveBase(reference, adapterFolder, explicitBase: false);
    }

    /// <summary>
    /// How transformers' <c>...ForSequenceClassification</c> reads the tokens, which is what a SEQ_CLS adapter's head was trained on:
    /// BERT's pooler, RoBERTa's and DistilBERT's own first-token heads.
    /// </summary>
    public static SentencePooling TransformersPooling(ModelFamily family) => family == ModelFamily.Bert ? SentencePooling.Pooler : SentencePooling.ClsToken;

    /// <summary>The head's output layer weight, whose rows are the labels, under transformers' names.</summary>
    private static string OutputWeightName(ModelFamily family) => family switch
    {
        ModelFamily.Roberta => "classifier.out_proj.weight",
        ModelFamily.Bert or ModelFamily.DistilBert => "classifier.weight",
        _ => throw new InvalidDataException($"PEFT adapters apply to transformers models (BERT, RoBERTa, DistilBERT); the base is a {family} model."),
    };

    /// <summary>
    /// The folder of the base model: an existing folder (as given, or relative to the adapter folder's parent, where PEFT users keep
    /// base and adapter side by side), a model name of the cache, or the Hub id of a named model (what our export writes).
    /// </summary>
    private static string ResolveBase(string reference, string adapterFolder, bool explicitBase)
    {
        var source = explicitBase ? $"The base model '{reference}'" : $"The base model '{reference}' named by '{Path.Combine(adapterFolder, PeftAdapterConfig.FileName)}'";
        var besideAdapter = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(adapterFolder))!, reference);
        var folder = Directory.Exists(reference) ? reference
            : !Path.IsPathRooted(reference) && Directory.Exists(besideAdapter) ? besideAdapter
            : (NamedModels.Find(reference) ?? NamedModels.FindByHubId(reference)) is { } named ? NamedModels.ResolveFolder(named.Name)
            : throw new DirectoryNotFoundException(
                $"{source} is neither a folder nor a model this library knows ({string.Join(", ", NamedModels.All.Select(m => m.HubId is null ? m.Name : $"{m.Name} = {m.HubId}"))}); " +
                "download it as a Hugging Face folder and name that folder as the base model.");
        if (PeftNames.IsAdapterFolder(folder))
            throw new InvalidDataException($"{source} is itself a PEFT adapter folder; the base must be a full model.");
        if (UseLiteModelFiles.IsModelFolder(folder))
            throw new InvalidDataException($"{source} is a USE-Lite model; PEFT adapters apply to transformers models (BERT, RoBERTa, DistilBERT).");
        return folder;
    }
}
