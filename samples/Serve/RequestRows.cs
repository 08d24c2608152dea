/// <summary>Checks a request's texts against the model that will score them (one text, or a pair) and makes its input rows.</summary>
internal static class RequestRows
{
    public static TextInput From(PredictRequest request, LoadedModel model) => Row(request.Text, request.Text2, model, "text", "text2");

    public static TextInput[] From(BatchRequest request, LoadedModel model, int maxTexts)
    {
        var texts = request.Texts ?? throw Bad("The body has no \"texts\": expected {\"texts\": [\"...\", ...]}.");
        if (texts.Length == 0) throw Bad("\"texts\" is empty: expected at least one text.");
        if (texts.Length > maxTexts) throw Bad($"\"texts\" holds {texts.Length} texts; at most {maxTexts} per request (--max-texts).");
        var seconds = request.Texts2;
        if (seconds is not null && seconds.Length != texts.Length)
            throw Bad($"\"texts2\" holds {seconds.Length} texts and \"texts\" {texts.Length}; a pair model needs one second text per text.");
        if (seconds is null && model.ReadsPairs)
            throw Bad($"This model reads text pairs ('{model.Scorer.Sentence1ColumnName}', '{model.Scorer.Sentence2ColumnName}'): give \"texts2\", one second text per text.");
        return texts.Select((text, i) => Row(text, seconds?[i], model, $"texts[{i}]", $"texts2[{i}]")).ToArray();
    }

    private static TextInput Row(string? text, string? text2, LoadedModel model, string textName, string text2Name)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Bad($"\"{textName}\" is missing or empty: expected the text to score.");
        if (model.ReadsPairs && string.IsNullOrWhiteSpace(text2))
            throw Bad($"\"{text2Name}\" is missing or empty: this model reads text pairs ('{model.Scorer.Sentence1ColumnName}', '{model.Scorer.Sentence2ColumnName}').");
        if (!model.ReadsPairs && text2 is not null)
            throw Bad($"\"{text2Name}\" was given, but this model reads one text ('{model.Scorer.Sentence1ColumnName}').");
        return new TextInput(text, text2);
    }

    private static RequestError Bad(string message) => new(StatusCodes.Status400BadRequest, message);
}
