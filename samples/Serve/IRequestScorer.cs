/// <summary>
/// Scores the single-row requests of one loaded model: <see cref="EnginePool"/> (a prediction engine per request) or
/// <see cref="RequestBatcher"/> (concurrent requests gathered into one <c>Transform</c>). Disposed only once no request uses it.
/// </summary>
internal interface IRequestScorer : IDisposable
{
    Task<Prediction> ScoreAsync(TextInput input, CancellationToken cancellation);
}
