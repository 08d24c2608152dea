using System.Globalization;
using Microsoft.ML.DeltaLoRA.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.GpuCheck;

/// <summary>
/// (b) Where the Delta-LoRA update runs. Trains a few Delta-LoRA steps on the device, then checks that every tensor the update
/// reads or writes (W, A, B and the snapshots of A and B of every adapted layer), and every parameter is on the
/// device, that the update moves W there, and times the update against the whole training step it is part of.
/// </summary>
internal static class UpdatePlacementCheck
{
    public static SectionResult Run(CheckOptions options, Device device)
    {
        var result = new SectionResult("update", "(b) The Delta-LoRA update runs on the device");
        var shape = options.Quick ? ModelShape.Tiny : ModelShape.MiniLM;
        (int batchSize, int length) = options.Quick ? (4, 16) : (32, 128);
        int warmup = 2, timed = options.TimedSteps;

        using var model = shape.Create(device);
        var fineTuning = new FineTuningOptions
        {
            Method = FineTuningMethod.DeltaLoRA, StartSteps = 0, Schedule = LearningRateSchedule.Constant, LearningRate = 1e-3, BatchSize = batchSize,
        };
        using var tuner = new FineTuner(model, fineTuning, totalSteps: warmup + timed);
        var (batch, labels) = shape.RandomBatch(batchSize, length, device);
        using var batchScope = batch;
        using var labelScope = labels;
        for (int i = 0; i < warmup; i++) tuner.Step(batch, labels);

        // The same rule over the same layers: its tensors are the ones FineTuner's update reads and writes.
        using var update = new DeltaLoRAUpdate(AdapterInjector.AdaptedLayers(model).Select(l => l.Layer), fineTuning.UpdateRatio, startSteps: 0);
        var misplaced = update.Tensors.Where(t => !OnDevice(t.Tensor, device)).Select(t => $"{t.Name} on {t.Tensor.device}")
            .Concat(model.named_parameters().Where(p => !OnDevice(p.parameter, device)).Select(p => $"parameter {p.name} on {p.parameter.device}"))
            .ToList();
        int tensorCount = update.Tensors.Count();

        double stepMs = DeviceClock.MeanMilliseconds(device, timed, () => tuner.Step(batch, labels));
        var firstLayer = AdapterInjector.AdaptedLayers(model)[0].Layer;
        using var before = firstLayer.weight.detach().clone();
        // B moved during the timed steps, so B·A differs from the snapshot taken before them: the first Apply must move W.
        update.Apply(1);
        double moved;
        using (var change = (firstLayer.weight.detach() - before).abs().max()) moved = change.item<float>();
        int applied = 1;
        double updateMs = DeviceClock.MeanMilliseconds(device, timed, () => update.Apply(++applied));

        foreach (var m in misplaced.Take(10)) result.Fail($"not on {device}: {m}");
        if (!OnDevice(firstLayer.weight, device)) result.Fail($"W left the device after the update: {firstLayer.weight.device}");
        if (!(moved > 0)) result.Fail("the update did not move W");
        result.Columns.AddRange(["shape", "batch × length", "update tensors checked", "step ms", "update ms", "update / step"]);
        result.Rows.Add([shape.Name, $"{batchSize} × {length}", tensorCount.ToString(CultureInfo.InvariantCulture), F(stepMs), F(updateMs), (updateMs / stepMs).ToString("P2", CultureInfo.InvariantCulture)]);
        result.Summary = $"Every tensor of the update ({tensorCount}: W, A, B and the two snapshots per adapted layer) and every parameter on {device}: "
            + (misplaced.Count == 0 ? "yes" : $"no ({misplaced.Count} elsewhere)") + $". The update moved W by up to {moved:g3}.";
        return result;
    }

    private static bool OnDevice(Tensor tensor, Device device) => tensor.device_type == device.type && (device.type == DeviceType.CPU || tensor.device_index == device.index);

    private static string F(double ms) => ms.ToString("0.000", CultureInfo.InvariantCulture);
}
