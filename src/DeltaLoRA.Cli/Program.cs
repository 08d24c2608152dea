using DeltaLoRA.Cli;

// Before anything loads libtorch (and libgomp with it), which reads its wait policy once.
OpenMpWaitPolicy.SleepWhenIdle();
return CliApp.Run(args, CliTerminal.FromSystemConsole());
