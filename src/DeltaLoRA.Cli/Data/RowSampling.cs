using Microsoft.ML;

namespace DeltaLoRA.Cli.Data;

/// <summary>Counting rows and drawing a random subset of them (--max-rows), reproducibly for a seed.</summary>
internal static class RowSampling
{
    public static long Count(IDataView data)
    {
        long count = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) count++;
        return count;
    }

    /// <summary>
    /// <paramref name="maxRows"/> rows drawn at random when there are more (a full shuffle: the pool holds every row, since
    /// data files are often sorted by label), cached so that every later pass sees the same rows in the same order.
    /// </summary>
    public static (IDataView Rows, long Count) AtMost(MLContext ml, IDataView data, long rowCount, int? maxRows, int seed)
    {
        if (maxRows is not int max || rowCount <= max) return (data, rowCount);
        var shuffled = ml.Data.ShuffleRows(data, seed: seed, shufflePoolSize: (int)Math.Min(rowCount, int.MaxValue), shuffleSource: false);
        return (ml.Data.Cache(ml.Data.TakeRows(shuffled, max)), max);
    }
}
