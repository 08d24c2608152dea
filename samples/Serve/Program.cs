// Serve: put a fine-tuned model behind an HTTP API (ASP.NET Core minimal API) and keep it serving while the model file is
// replaced.
//
//   dotnet run --project samples/Serve -c Release -- --model MODEL.zip [--urls http://127.0.0.1:5000] [--engine batch|pool]
//        [--pool-size N] [--max-batch-rows 32] [--max-body-bytes 1048576] [--max-texts 256] [--reload-debounce-ms 500]
//        [--threads N] [--onnxruntime-spin true|false]
//
//   POST /predict        {"text": "...", "text2": "..."}  ->  {"label": "1", "probability": 0.93, "probabilities": {"0": 0.07, "1": 0.93}}
//                        (text2 only for models of text pairs; a regression model answers {"score": 3.7})
//   POST /predict/batch  {"texts": ["...", ...], "texts2": [...]}  ->  {"predictions": [ ... ]}
//   GET  /health         the model served, its version (reloads so far), the engine, the classes
//
// --model: a zip saved by mlContext.Model.Save (or 'deltalora train'); the service reloads it when the file changes.
// --engine: how /predict requests are scored. "batch" (default) gathers concurrent requests into one Transform; "pool" gives
//           each request a PredictionEngine from a pool of --pool-size (default: the number of cores). /predict/batch
//           always scores its texts in one Transform.
// --threads: CPU threads per scoring call (libtorch's or ONNX Runtime's, whichever engine the zip scores with); default: the
//           engine's own count, one per physical core. --onnxruntime-spin false: ONNX Runtime's threads sleep instead of
//           spinning while a request is scored (default true); beside other busy processes, both help (docs/serving.md).
// A bad request gets a 4xx status and {"error": "..."}: 400 malformed JSON or a missing text, 413 a body over
// --max-body-bytes, 415 a content type other than JSON.
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
ServeOptions options;
ServedModel first;
try
{
    options = ServeOptions.From(builder.Configuration);
    options.ApplyToScoring();
    first = ServedModel.Load(options, version: 0);
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(ServeOptions.Usage);
    return 2;
}

// ASP.NET Core logs two lines per request at Information: too many under load. Warnings and the service's own lines remain.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes);
builder.Services.Configure<JsonOptions>(json =>
{
    json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    json.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
});
var app = builder.Build();
var json = app.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
var slot = new ModelSlot(first);
using var watcher = new ModelFileWatcher(options, slot, app.Logger);

// Every refusal is JSON: the service's own (RequestError), Kestrel's (a body too large, a bad request line) and the
// status-only answers of routing (404, 405). Anything else is a 500 with the same shape, and the service stays up.
app.Use(async (context, next) =>
{
    try
    {
        await next(context);
    }
    catch (RequestError e) when (!context.Response.HasStarted)
    {
        await WriteError(context, e.Status, e.Message);
    }
    catch (BadHttpRequestException e) when (!context.Response.HasStarted)
    {
        await WriteError(context, e.StatusCode, e.Message);
    }
    catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
    {
        app.Logger.LogError(e, "Request {Method} {Path} failed.", context.Request.Method, context.Request.Path);
        await WriteError(context, StatusCodes.Status500InternalServerError, $"The model failed on this request: {e.Message}");
    }
});
app.UseStatusCodePages(context => WriteError(context.HttpContext, context.HttpContext.Response.StatusCode,
    $"{context.HttpContext.Request.Method} {context.HttpContext.Request.Path}: {ReasonPhrase(context.HttpContext.Response.StatusCode)}."));

app.MapPost("/predict", async (HttpRequest request) =>
{
    var body = await JsonBody.ReadAsync<PredictRequest>(request, json, options.MaxBodyBytes);
    using var lease = slot.Acquire();
    var input = RequestRows.From(body, lease.Served.Model);
    return Results.Json(await lease.Served.Scorer.ScoreAsync(input, request.HttpContext.RequestAborted), json);
});

app.MapPost("/predict/batch", async (HttpRequest request) =>
{
    var body = await JsonBody.ReadAsync<BatchRequest>(request, json, options.MaxBodyBytes);
    using var lease = slot.Acquire();
    var inputs = RequestRows.From(body, lease.Served.Model, options.MaxTextsPerRequest);
    return Results.Json(new BatchResponse(lease.Served.Model.Predict(inputs)), json);
});

app.MapGet("/health", () =>
{
    using var lease = slot.Acquire();
    var served = lease.Served;
    return Results.Json(new
    {
        Status = "ok",
        Model = served.Model.Path,
        served.Version,
        served.LoadedAt,
        Engine = options.Mode.ToString().ToLowerInvariant(),
        Task = served.Model.IsRegression ? "regression" : "classification",
        Pairs = served.Model.ReadsPairs,
        Classes = served.Model.ClassNames,
        LastReloadError = watcher.LastError,
    }, json);
});

// One line with the bound addresses (with --urls http://127.0.0.1:0 the port is chosen by the system), for scripts and tests.
app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
    Console.WriteLine($"Serving {options.ModelPath} with the {options.Mode.ToString().ToLowerInvariant()} engine on {string.Join(" ", addresses)}");
});

app.Run();
slot.Dispose();
return 0;

static Task WriteError(HttpContext context, int status, string message)
{
    context.Response.StatusCode = status;
    return context.Response.WriteAsJsonAsync(new ErrorResponse(message));
}

static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : $"status {status}";
