using DeltaLoRA.Cli;

return CliApp.Run(args, CliTerminal.FromSystemConsole());
