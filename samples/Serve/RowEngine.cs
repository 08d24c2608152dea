using Microsoft.ML;

/// <summary>One ML.NET <c>PredictionEngine</c> of a loaded model: scores a row at a time, one caller at a time.</summary>
internal interface IRowEngine : IDisposable
{
    Prediction Predict(TextInput input);
}

internal sealed class RowEngine<TOutput>(PredictionEngine<ModelInput, TOutput> engine, Func<TextInput, ModelInput> toRow, Func<TOutput, Prediction> toPrediction)
    : IRowEngine where TOutput : class, new()
{
    public Prediction Predict(TextInput input) => toPrediction(engine.Predict(toRow(input)));

    public void Dispose() => engine.Dispose();
}
