using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.DeltaLoRA.Benchmarks.MlNetPeer;

/// <summary>
/// Rewrites the four <c>ModelUtils.Init*</c> helpers of Microsoft.ML.TorchSharp 0.23.1 so that they no longer dispose the tensor
/// that <c>torch.nn.init.*_</c> returns. Since TorchSharp 0.104 that tensor is the parameter itself (the same handle), so the stock
/// helpers free every weight they initialise: the model loses its parameters at construction and the first forward fails with
/// "Tensor invalid -- empty handle". Each patched body keeps the instructions up to and including the call to <c>nn.init</c>, then
/// drops its result and returns: what the helper meant to do. Benchmark only, applied to a copy in the peer's output folder.
/// </summary>
internal static class ModelUtilsPatch
{
    public const string TypeName = "Microsoft.ML.TorchSharp.Utils.ModelUtils";

    public static IReadOnlyList<string> Apply(string assemblyPath, string outputPath, bool print)
    {
        var patched = new List<string>();
        using (var assembly = AssemblyDefinition.ReadAssembly(assemblyPath, new ReaderParameters { ReadWrite = false, InMemory = true }))
        {
            var type = assembly.MainModule.Types.FirstOrDefault(t => t.FullName == TypeName)
                ?? assembly.MainModule.GetTypes().FirstOrDefault(t => t.Name == "ModelUtils")
                ?? throw new InvalidOperationException($"{assemblyPath} has no ModelUtils type; is it Microsoft.ML.TorchSharp 0.23.1?");
            foreach (var method in type.Methods.Where(m => m.Name.StartsWith("Init", StringComparison.Ordinal) && m.HasBody))
            {
                if (print) Print(method);
                var body = method.Body;
                var initCall = body.Instructions.FirstOrDefault(i => (i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt)
                    && i.Operand is MethodReference target && target.DeclaringType.FullName.Contains("init", StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidOperationException($"{method.FullName} calls no torch.nn.init method; the patch does not fit this version.");
                bool disposes = body.Instructions.Any(i => i.Operand is MethodReference target && target.Name == "Dispose");
                if (!disposes) continue;
                var kept = body.Instructions.TakeWhile(i => i != initCall).Append(initCall).ToList();
                if (kept.Any(i => i.OpCode.FlowControl is FlowControl.Branch or FlowControl.Cond_Branch or FlowControl.Return or FlowControl.Throw))
                    throw new InvalidOperationException($"{method.FullName} branches before its nn.init call; the patch does not fit this version.");
                body.ExceptionHandlers.Clear();
                body.Instructions.Clear();
                foreach (var instruction in kept) body.Instructions.Add(instruction);
                if (((MethodReference)initCall.Operand).ReturnType.FullName != "System.Void") body.Instructions.Add(Instruction.Create(OpCodes.Pop));
                body.Instructions.Add(Instruction.Create(OpCodes.Ret));
                body.Variables.Clear();
                patched.Add(method.Name);
                if (print) Print(method);
            }
            assembly.Write(outputPath);
        }
        return patched;
    }

    private static void Print(MethodDefinition method)
    {
        Console.WriteLine(method.FullName);
        foreach (var instruction in method.Body.Instructions) Console.WriteLine($"  {instruction}");
    }
}
