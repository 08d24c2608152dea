namespace DeltaLoRA.Cli;

/// <summary>A mistake in what the user gave (a file, a column, an option value): printed as its message alone, exit code 1.</summary>
internal sealed class UserErrorException(string message) : Exception(message);
