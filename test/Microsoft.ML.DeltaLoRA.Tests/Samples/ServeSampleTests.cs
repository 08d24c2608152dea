using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>
/// samples/Serve run as a process on tiny model zips (<see cref="ServeModels"/>): its answers are the library's own
/// predictions, every bad request gets its 4xx and a JSON error while the service stays up, and the model file can be
/// replaced under load without a failed request (<see cref="ServeLoadTests"/>).
/// </summary>
[Collection(ServeModels.Collection)]
public class ServeSampleTests(ServeModels models)
{
    /// <summary>What a probability may differ by from the library's: the service scores the same rows with the same model.</summary>
    private const float ProbabilityTolerance = 1e-6f;

    /// <summary>Each request engine on the TorchSharp zip, and the ONNX Runtime zip on one thread without spinning.</summary>
    [SharedTheory]
    [InlineData("pool", false, "")]
    [InlineData("batch", false, "")]
    [InlineData("batch", true, "--threads 1 --onnxruntime-spin false")]
    public async Task Predict_and_batch_answer_what_the_library_predicts_for_the_same_rows(string engine, bool onnxRuntime, string options)
    {
        var model = onnxRuntime ? models.FirstOnnxRuntime : models.First;
        using var service = ServeProcess.Start(models.ServedCopy(model), ["--engine", engine, .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        var texts = ServeModels.SentimentTestRows.Take(12).Select(r => r[0]).ToArray();
        var expected = ServeModels.LibraryPredictions(model, texts.Select(t => (t, (string?)null)));

        for (int i = 0; i < texts.Length; i++)
        {
            var (status, answer) = await service.PostJsonAsync("/predict", new { text = texts[i] });
            Assert.Equal(200, status);
            AssertSame(expected[i], answer, texts[i]);
        }

        // At once: the batch engine scores what arrives together in one Transform and a lone request with its single-row engine;
        // either way each answer is its own row's.
        var concurrent = await Task.WhenAll(texts.Select(t => service.PostJsonAsync("/predict", new { text = t })));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(200, concurrent[i].Status);
            AssertSame(expected[i], concurrent[i].Json, texts[i]);
        }

        var (batchStatus, batch) = await service.PostJsonAsync("/predict/batch", new { texts });
        Assert.Equal(200, batchStatus);
        var predictions = batch.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(texts.Length, predictions.Length);
        for (int i = 0; i < texts.Length; i++) AssertSame(expected[i], predictions[i], texts[i]);

        var health = await service.HealthAsync();
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(engine, health.GetProperty("engine").GetString());
        Assert.Equal("classification", health.GetProperty("task").GetString());
        Assert.False(health.GetProperty("pairs").GetBoolean());
        Assert.Equal(expected[0].Probabilities.Keys, health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!));
        Assert.Equal(0, health.GetProperty("version").GetInt32());
    }

    [SharedTheory]
    [InlineData("--threads", "0", "--threads must be a whole number from 1 to 1024, found '0'")]
    [InlineData("--onnxruntime-spin", "yes", "--onnxruntime-spin must be 'true' or 'false', found 'yes'")]
    public void A_bad_thread_option_stops_the_service_before_it_loads_naming_the_option(string option, string value, string message)
    {
        var (exitCode, output) = ServeProcess.RunUntilExit(models.ServedCopy(models.First), option, value);
        Assert.Equal(2, exitCode);
        Assert.Contains("error: " + message, output);
        Assert.DoesNotContain("Serving ", output);
    }

    [SharedFact]
    public async Task Every_bad_request_gets_its_status_and_a_json_error_and_the_service_stays_up()
    {
        using var service = ServeProcess.Start(models.ServedCopy(models.First));
        const int limit = 1 << 20; // the default --max-body-bytes
        var cases = new (string Name, string Path, HttpContent Content, int Status, string ErrorPart, bool ExpectContinue)[]
        {
            ("malformed JSON", "/predict", Json("{\"text\": \"unterminated"), 400, "not valid JSON", false),
            ("a JSON array", "/predict", Json("[\"a text\"]"), 400, "not valid JSON", false),
            ("a number for the text", "/predict", Json("{\"text\": 5}"), 400, "not valid JSON", false),
            ("the JSON null", "/predict", Json("null"), 400, "null", false),
            ("no body", "/predict", Json(""), 400, "not valid JSON", false),
            ("no text", "/predict", Json("{\"txt\": \"a typo in the name\"}"), 400, "\"text\" is missing or empty", false),
            ("an empty text", "/predict", Json("{\"text\": \"\"}"), 400, "\"text\" is missing or empty", false),
            ("a blank text", "/predict", Json("{\"text\": \" \\t\"}"), 400, "\"text\" is missing or empty", false),
            ("a second text for a one-text model", "/predict", Json("{\"text\": \"a\", \"text2\": \"b\"}"), 400, "reads one text ('Text')", false),
            ("plain text", "/predict", new StringContent("a text", Encoding.UTF8, "text/plain"), 415, "application/json", false),
            ("form data", "/predict", new FormUrlEncodedContent([new("text", "a text")]), 415, "application/x-www-form-urlencoded", false),
            ("no content type", "/predict", new ByteArrayContent("{\"text\": \"a\"}"u8.ToArray()), 415, "no content type", false),
            ("a declared length over the limit", "/predict", Json(TextBody(limit + 1)), 413, $"larger than {limit} bytes", true),
            ("a chunked body over the limit", "/predict", Chunked(TextBody(limit + 1)), 413, $"larger than {limit} bytes", false),
            ("no texts", "/predict/batch", Json("{\"text\": \"a\"}"), 400, "no \"texts\"", false),
            ("an empty list", "/predict/batch", Json("{\"texts\": []}"), 400, "\"texts\" is empty", false),
            ("an empty text in the list", "/predict/batch", Json("{\"texts\": [\"good\", \"\"]}"), 400, "\"texts[1]\" is missing or empty", false),
            ("too many texts", "/predict/batch", Json(JsonSerializer.Serialize(new { texts = Enumerable.Repeat("a", 257) })), 400, "at most 256", false),
            ("a malformed batch", "/predict/batch", Json("{\"texts\": [\"a\""), 400, "not valid JSON", false),
            ("an unknown path", "/classify", Json("{\"text\": \"a\"}"), 404, "Not Found", false),
        };
        foreach (var (name, path, content, status, errorPart, expectContinue) in cases)
        {
            int actual;
            JsonElement json;
            try
            {
                (actual, json) = await service.PostAsync(path, content, expectContinue);
            }
            catch (HttpRequestException e)
            {
                throw new InvalidOperationException($"{name}: no answer ({e.Message}).\n{service.Output}", e);
            }
            Assert.True(status == actual, $"{name}: expected {status}, got {actual}: {json}");
            var error = json.GetProperty("error").GetString()!;
            Assert.True(error.Contains(errorPart, StringComparison.Ordinal), $"{name}: the error '{error}' does not say '{errorPart}'.");
        }
        using (var get = await service.Client.GetAsync("/predict"))
            Assert.Equal(405, (int)get.StatusCode);

        // A body just under the limit is read (its long text is cut to the model's length), and the service still answers.
        var (underLimit, _) = await service.PostAsync("/predict", Json(TextBody(limit)));
        Assert.Equal(200, underLimit);
        var (ok, answer) = await service.PostJsonAsync("/predict", new { text = "a gorgeous, witty film" });
        Assert.Equal(200, ok);
        AssertSame(ServeModels.LibraryPredictions(models.First, [("a gorgeous, witty film", null)])[0], answer, "a gorgeous, witty film");
        Assert.False(service.HasExited, service.Output);
    }

    [SharedFact]
    public async Task A_pair_model_needs_both_texts_and_answers_what_the_library_predicts()
    {
        using var service = ServeProcess.Start(models.ServedCopy(models.Pairs), "--max-body-bytes", "4096");
        var rows = ServeModels.PairTestRows.Take(6).Select(r => (Text: r[3], Text2: (string?)r[4])).ToArray();
        var expected = ServeModels.LibraryPredictions(models.Pairs, rows);

        for (int i = 0; i < rows.Length; i++)
        {
            var (status, answer) = await service.PostJsonAsync("/predict", new { text = rows[i].Text, text2 = rows[i].Text2 });
            Assert.Equal(200, status);
            AssertSame(expected[i], answer, rows[i].Text);
        }
        var (batchStatus, batch) = await service.PostJsonAsync("/predict/batch", new { texts = rows.Select(r => r.Text), texts2 = rows.Select(r => r.Text2) });
        Assert.Equal(200, batchStatus);
        var predictions = batch.GetProperty("predictions").EnumerateArray().ToArray();
        for (int i = 0; i < rows.Length; i++) AssertSame(expected[i], predictions[i], rows[i].Text);

        var (missing, missingError) = await service.PostJsonAsync("/predict", new { text = rows[0].Text });
        Assert.Equal(400, missing);
        Assert.Contains("\"text2\" is missing or empty: this model reads text pairs ('Sentence1', 'Sentence2')", missingError.GetProperty("error").GetString());
        var (noSeconds, noSecondsError) = await service.PostJsonAsync("/predict/batch", new { texts = new[] { "a", "b" } });
        Assert.Equal(400, noSeconds);
        Assert.Contains("give \"texts2\"", noSecondsError.GetProperty("error").GetString());
        var (mismatch, mismatchError) = await service.PostJsonAsync("/predict/batch", new { texts = new[] { "a", "b" }, texts2 = new[] { "c" } });
        Assert.Equal(400, mismatch);
        Assert.Contains("\"texts2\" holds 1 texts and \"texts\" 2", mismatchError.GetProperty("error").GetString());

        // --max-body-bytes 4096: the limit is the configured one.
        var (tooLarge, tooLargeError) = await service.PostAsync("/predict", Json(TextBody(4097)), expectContinue: true);
        Assert.Equal(413, tooLarge);
        Assert.Contains("larger than 4096 bytes", tooLargeError.GetProperty("error").GetString());
        Assert.True((await service.HealthAsync()).GetProperty("pairs").GetBoolean());
    }

    /// <summary>The service's answer carries the library's label and, for every class, its probability.</summary>
    internal static void AssertSame(LibraryPrediction expected, JsonElement answer, string text)
    {
        Assert.True(expected.Label == answer.GetProperty("label").GetString(), $"'{text}': the library predicts {expected.Label}, the service answered {answer}");
        var probabilities = answer.GetProperty("probabilities").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle());
        Assert.Equal(expected.Probabilities.Keys.Order(), probabilities.Keys.Order());
        foreach (var (name, probability) in expected.Probabilities)
            Assert.True(Math.Abs(probability - probabilities[name]) <= ProbabilityTolerance, $"'{text}': class {name}: library {probability}, service {probabilities[name]}");
        Assert.Equal(probabilities[expected.Label], answer.GetProperty("probability").GetSingle());
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>{"text": "good good ..."}, exactly <paramref name="bytes"/> bytes of UTF-8.</summary>
    private static string TextBody(int bytes)
    {
        const string prefix = "{\"text\": \"", suffix = "\"}";
        return prefix + string.Concat(Enumerable.Repeat("good ", bytes / 5 + 1))[..(bytes - prefix.Length - suffix.Length)] + suffix;
    }

    /// <summary>A JSON body sent without a length (chunked), so that only reading it can find it too large.</summary>
    private static StreamContent Chunked(string body)
    {
        var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>A stream whose length HttpClient cannot know, which makes it send the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
