using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.ML.DeltaLoRA.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Microsoft.ML.DeltaLoRA.Tests.Samples;

/// <summary>
/// The short load run of samples/Serve (the long one, with wrk on MiniLM, is samples/Serve/load-test.sh): concurrent
/// clients post SST-2 sentences for <see cref="LoadSeconds"/> seconds while a second model zip is copied over the served
/// file. No request may fail, the new model must be serving before the load ends, and resident memory must stay bounded
/// after warm-up (the old model is disposed once its last request is done).
/// </summary>
[Collection(ServeModels.Collection)]
public class ServeLoadTests(ServeModels models, ITestOutputHelper output)
{
    private const int LoadSeconds = 30, WarmUpSeconds = 8, SwapAtSecond = 12, Clients = 8;

    [SharedFact]
    public async Task Under_load_a_model_swap_fails_no_request_and_memory_stays_bounded()
    {
        var served = models.ServedCopy(models.First);
        var second = models.Second; // trained before the service starts, so that training does not share the load's cores
        using var service = ServeProcess.Start(served);
        var sentences = ServeModels.SentimentTestRows.Select(r => r[0]).ToArray();

        var failures = new ConcurrentQueue<string>();
        long answered = 0;
        var clock = Stopwatch.StartNew();
        bool running = true;
        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            for (int i = client; Volatile.Read(ref running); i += Clients)
            {
                try
                {
                    using var response = await service.Client.PostAsJsonAsync("/predict", new { text = sentences[i % sentences.Length] });
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref answered);
                    else failures.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{clock.Elapsed.TotalSeconds:0.0} s: {e.GetType().Name}: {e.Message}");
                }
            }
        })).ToArray();

        var residentAfterWarmUp = new List<long>();
        double? swappedAt = null;
        bool copied = false;
        while (clock.Elapsed < TimeSpan.FromSeconds(LoadSeconds))
        {
            await Task.Delay(1000);
            if (clock.Elapsed.TotalSeconds >= WarmUpSeconds) residentAfterWarmUp.Add(service.ResidentBytes());
            if (!copied && clock.Elapsed.TotalSeconds >= SwapAtSecond)
            {
                File.Copy(second, served, overwrite: true); // written in place, as `cp` does: the service sees a partial file first
                copied = true;
            }
            if (copied && swappedAt is null && (await service.HealthAsync()).GetProperty("version").GetInt32() == 1) swappedAt = clock.Elapsed.TotalSeconds;
        }
        Volatile.Write(ref running, false);
        await Task.WhenAll(clients);

        Assert.True(failures.IsEmpty, $"{failures.Count} of {answered + failures.Count} requests failed, first: {string.Join("\n", failures.Take(5))}\n{service.Output}");
        Assert.True(answered >= 50, $"Only {answered} requests were answered in {LoadSeconds} s.");
        Assert.True(swappedAt is not null, $"The second model was not serving {LoadSeconds - SwapAtSecond} s after it was copied over the file.\n{service.Output}");

        // The copied model answers now: its own predictions, not the first model's.
        var texts = sentences.Take(4).ToArray();
        var expected = ServeModels.LibraryPredictions(second, texts.Select(t => (t, (string?)null)));
        for (int i = 0; i < texts.Length; i++)
        {
            var (status, answer) = await service.PostJsonAsync("/predict", new { text = texts[i] });
            Assert.Equal(200, status);
            ServeSampleTests.AssertSame(expected[i], answer, texts[i]);
        }

        // Memory: bounded while both models are loaded during the swap, and within 10 % of the warm-up level at the end (a leak
        // per request would grow it steadily). The level is the mean of the three seconds before the swap; the long wrk runs
        // (load-test.sh) check the issue's 5 % over minutes.
        long baseline = (long)residentAfterWarmUp.Take(3).Average(), peak = residentAfterWarmUp.Max(), last = residentAfterWarmUp[^1];
        var curve = string.Join(", ", residentAfterWarmUp.Select(b => $"{b >> 20}"));
        output.WriteLine($"{answered} requests answered in {LoadSeconds} s by {Clients} clients; the copied model served {swappedAt - SwapAtSecond:0.0} s after the copy; RSS (MiB each second after warm-up): {curve}");
        Assert.True(peak <= baseline * 1.5, $"Resident memory peaked at {peak >> 20} MiB against {baseline >> 20} MiB after warm-up (MiB each second: {curve}).");
        Assert.True(last <= baseline * 1.1, $"Resident memory ended at {last >> 20} MiB against {baseline >> 20} MiB after warm-up (MiB each second: {curve}).");
    }
}
