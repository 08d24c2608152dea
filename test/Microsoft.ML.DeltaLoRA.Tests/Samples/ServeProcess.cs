using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>
/// samples/Serve running as its own process (<c>dotnet Serve.dll --model ... --urls http://127.0.0.1:0</c>), on a port the
/// system picks, read from the line the service prints once it listens. Disposing it stops the process.
/// </summary>
internal sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private ServeProcess(Process process, Uri address, StringBuilder output)
    {
        _process = process;
        _output = output;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the service printed so far (for failure messages).</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static ServeProcess Start(string modelPath, params string[] arguments)
    {
        var process = Process.Start(StartInfo(modelPath, arguments))!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        void Read(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (ListeningLine().Match(line) is { Success: true } match) listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The service exited before listening."));
        try
        {
            var address = listening.Task.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            return new ServeProcess(process, address, output);
        }
        catch (Exception e)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output) Assert.Fail($"The Serve sample did not start listening ({e.Message}):\n{output}");
            throw;
        }
    }

    /// <summary>Runs the service where it is expected to stop by itself (a refused option); its exit code and everything it printed.</summary>
    public static (int ExitCode, string Output) RunUntilExit(string modelPath, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(modelPath, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The Serve sample was expected to stop by itself and was still running after 2 minutes.");
        }
        return (process.ExitCode, output.GetAwaiter().GetResult() + error.GetAwaiter().GetResult());
    }

    private static ProcessStartInfo StartInfo(string modelPath, string[] arguments)
    {
        var program = SampleRun.ProgramPath("Serve");
        Assert.True(File.Exists(program), $"Expected the built sample at {program}; build the test project (it builds the samples).");
        var start = new ProcessStartInfo(SampleRun.DotnetHost)
        {
            WorkingDirectory = Path.GetDirectoryName(modelPath)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in (string[])[program, "--model", modelPath, "--urls", "http://127.0.0.1:0", .. arguments]) start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>POSTs <paramref name="body"/> as JSON and returns the status and the parsed JSON answer.</summary>
    public async Task<(int Status, JsonElement Json)> PostJsonAsync(string path, object body)
    {
        using var response = await Client.PostAsJsonAsync(path, body);
        return ((int)response.StatusCode, await ReadJsonAsync(response));
    }

    /// <summary>
    /// POSTs raw <paramref name="content"/> and returns the status and the parsed JSON answer. With <paramref name="expectContinue"/>
    /// the body waits for the server's go-ahead (as curl does for large bodies), so a body refused by its declared length is not
    /// sent at all; otherwise the server's early answer can be lost when it closes the connection on the unread body.
    /// </summary>
    public async Task<(int Status, JsonElement Json)> PostAsync(string path, HttpContent content, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<JsonElement> HealthAsync()
    {
        using var response = await Client.GetAsync("/health");
        Assert.Equal(200, (int)response.StatusCode);
        return await ReadJsonAsync(response);
    }

    /// <summary>The process's resident memory (VmRSS of /proc/PID/status), in bytes.</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{ProcessId}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public void Dispose()
    {
        Client.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"Expected a JSON answer, got '{response.Content.Headers.ContentType}' with status {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [GeneratedRegex(@"^Serving .+ on (http://\S+)")]
    private static partial Regex ListeningLine();
}
