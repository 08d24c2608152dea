namespace Microsoft.ML.DeltaLoRA.Checkpoints;

/// <summary>One node of a TF.js graph model's <c>modelTopology.node</c> list (a TensorFlow GraphDef node).</summary>
internal sealed record TfjsGraphNode(string Name, string Op, IReadOnlyList<string> Inputs);
