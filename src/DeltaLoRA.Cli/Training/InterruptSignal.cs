using System.Runtime.InteropServices;

namespace DeltaLoRA.Cli.Training;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation while it is alive, instead of ending the process at once: training
/// stops within a step and a save in progress finishes or removes its temporary file, so an interrupted run leaves no files.
/// </summary>
internal sealed class InterruptSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    public InterruptSignal()
    {
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle)];
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _source.Cancel();
    }
}
