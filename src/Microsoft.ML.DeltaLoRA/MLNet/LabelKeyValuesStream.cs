using Microsoft.ML.Runtime;
using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.Data.IO;

namespace Microsoft.ML.DeltaLoRA.MLNet;

/// <summary>
/// Saves the label's key values (a vector of any primitive type: text, Single, Boolean, ...) with ML.NET's own type and
/// value codec, so that after loading PredictedLabel carries exactly the key values it was trained with and MapKeyToValue
/// restores the original label type.
/// </summary>
internal static class LabelKeyValuesStream
{
    public static void Save(ModelSaveContext ctx, IHostEnvironment env, DataViewSchema.Annotations keyValues)
    {
        var type = (VectorDataViewType)keyValues.Schema[MLNetInternals.KeyValuesKind].Type;
        var save = Generic(nameof(SaveTyped), type.ItemType.RawType);
        ctx.SaveBinaryStream(TransformerModelFormat.KeyValuesStream, writer => save.Invoke(null, [writer.BaseStream, env, keyValues, type]));
    }

    public static DataViewSchema.Annotations Load(ModelLoadContext ctx, IHostEnvironment env)
    {
        DataViewSchema.Annotations? annotations = null;
        bool found = ctx.TryLoadBinaryStream(TransformerModelFormat.KeyValuesStream, reader =>
        {
            var saver = new BinarySaver(env, new BinarySaver.Arguments());
            if (!saver.TryLoadTypeAndValue(reader.BaseStream, out var type, out var value) || type is not VectorDataViewType vector || value is null)
                throw new InvalidDataException($"The model's '{TransformerModelFormat.KeyValuesStream}' stream does not hold a vector of key values.");
            annotations = (DataViewSchema.Annotations)Generic(nameof(AsAnnotations), vector.ItemType.RawType).Invoke(null, [vector, value])!;
        });
        if (!found || annotations is null)
            throw new InvalidDataException($"The model says it has label key values but its '{TransformerModelFormat.KeyValuesStream}' stream is missing.");
        return annotations;
    }

    private static void SaveTyped<T>(Stream stream, IHostEnvironment env, DataViewSchema.Annotations keyValues, VectorDataViewType type)
    {
        var values = default(VBuffer<T>);
        keyValues.GetValue(MLNetInternals.KeyValuesKind, ref values);
        var saver = new BinarySaver(env, new BinarySaver.Arguments());
        if (!saver.TryWriteTypeAndValue(stream, type, ref values, out _))
            throw new InvalidOperationException($"ML.NET cannot save label key values of type {type}.");
    }

    private static DataViewSchema.Annotations AsAnnotations<T>(VectorDataViewType type, object value)
    {
        var values = (VBuffer<T>)value;
        var builder = new DataViewSchema.Annotations.Builder();
        builder.Add(MLNetInternals.KeyValuesKind, type, (ref VBuffer<T> destination) => values.CopyTo(ref destination));
        return builder.ToAnnotations();
    }

    private static MethodInfo Generic(string name, Type itemType)
        => typeof(LabelKeyValuesStream).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(itemType);
}
