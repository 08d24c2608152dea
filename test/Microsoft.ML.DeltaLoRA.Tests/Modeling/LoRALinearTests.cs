using Microsoft.ML.DeltaLoRA.Modeling.Adapters;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.DeltaLoRA.Tests.Modeling;

public class LoRALinearTests
{
    [Fact]
    public void W_is_out_by_in_stored_as_the_transpose_of_a_contiguous_tensor_through_dtype_changes_and_merges()
    {
        // The layout that hands BLAS x·(Wᵀ) without a transposed operand (see the constructor); its values are nn.Linear's.
        torch.manual_seed(3);
        using var layer = new LoRALinear(inFeatures: 6, outFeatures: 5);
        Assert.Equal(new long[] { 5, 6 }, layer.weight.shape);
        Assert.Equal(new long[] { 1, 5 }, layer.weight.stride());
        Assert.True(layer.weight.t().is_contiguous());

        torch.manual_seed(3);
        using var reference = torch.empty(5, 6);
        torch.nn.init.kaiming_uniform_(reference, a: Math.Sqrt(5));
        Assert.True(reference.equal(layer.weight).all().item<bool>(), "Fresh weights are drawn in [out, in] order, as nn.Linear draws them.");

        layer.AttachAdapter(rank: 2, alpha: 4);
        using (torch.no_grad()) layer.lora_B!.normal_();
        layer.MergeAdapter();
        Assert.Equal(new long[] { 1, 5 }, layer.weight.stride());
        layer.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, layer.weight.dtype);
        Assert.Equal(new long[] { 1, 5 }, layer.weight.stride());
    }

    [Fact]
    public void AdapterStartsAsIdentityAndAddsScaledLowRankProduct()
    {
        torch.manual_seed(1);
        using var layer = new LoRALinear(inFeatures: 6, outFeatures: 5);
        using var x = torch.randn(3, 6);
        using var before = layer.forward(x);

        layer.AttachAdapter(rank: 2, alpha: 4);
        Assert.Equal(new long[] { 2, 6 }, layer.lora_A!.shape);
        Assert.Equal(new long[] { 5, 2 }, layer.lora_B!.shape);
        Assert.Equal(0f, layer.lora_B.abs().max().item<float>());
        var bound = 1 / Math.Sqrt(6);
        Assert.True(layer.lora_A.abs().max().item<float>() <= bound);
        using var atInit = layer.forward(x);
        Assert.True(before.equal(atInit).all().item<bool>());

        using (torch.no_grad()) layer.lora_B.normal_();
        using var expected = x.matmul(layer.weight.t()) + layer.bias! + 2.0 * x.matmul(layer.lora_A.t()).matmul(layer.lora_B.t());
        using var actual = layer.forward(x);
        Assert.True(torch.allclose(expected, actual, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void MergeFoldsAdapterIntoWeight()
    {
        torch.manual_seed(2);
        using var layer = new LoRALinear(8, 4);
        layer.AttachAdapter(rank: 3, alpha: 6);
        using (torch.no_grad()) layer.lora_B!.normal_();
        using var x = torch.randn(5, 8);
        using var unmerged = layer.forward(x);
        layer.MergeAdapter();
        Assert.False(layer.HasAdapter);
        Assert.DoesNotContain(layer.named_parameters(), p => p.name.StartsWith("lora_"));
        using var merged = layer.forward(x);
        Assert.True(torch.allclose(unmerged, merged, rtol: 1e-5, atol: 1e-5));
    }
}
