namespace DeltaLoRA.Bench.Study;

/// <summary>Why a run was made; the phase is part of the run's identity in runs.csv.</summary>
internal static class RunPhase
{
    /// <summary>Learning-rate selection: one run per grid value at the selection seed, judged on the validation split only.</summary>
    public const string Select = "select";

    /// <summary>The reported runs: the chosen learning rate, seeds 1..N, scored on dev.</summary>
    public const string Final = "final";

    /// <summary>λ and K sensitivity runs.</summary>
    public const string Sensitivity = "sensitivity";

    /// <summary>Runs whose weight change is measured (singular values of W_eff,T − W_0), at one learning rate common to every method.</summary>
    public const string Spectrum = "spectrum";

    /// <summary>Calibration runs: the whole training split, up to a number of epochs with early stopping on validation, at a given rate.</summary>
    public const string Calibrate = "calibrate";
}
