using System.Globalization;

namespace Strider.GpuCheck;

/// <summary>
/// The timing rows as TSV (id, workload, framework, median ms, min ms, runs), one file per side, so PyTorch's rows
/// (tools/gpu/torch_workloads.py) join Strider's in one table: each workload's times and Strider's time over PyTorch's.
/// </summary>
public static class ResultsTable
{
    /// <summary>Adds one row to the TSV file at <paramref name="path"/>.</summary>
    public static void Append(string path, TimingRow r) =>
        File.AppendAllLines(path, [string.Join('\t', r.Id, r.Workload, r.Framework,
            r.MedianMs.ToString("R", CultureInfo.InvariantCulture), r.MinMs.ToString("R", CultureInfo.InvariantCulture), r.Runs.ToString(CultureInfo.InvariantCulture))]);

    /// <summary>Prints the table of the rows in <paramref name="paths"/> (missing files are named and skipped); returns 0.</summary>
    public static int Print(string[] paths, TextWriter output)
    {
        var rows = new List<TimingRow>();
        foreach (string path in paths)
        {
            if (!File.Exists(path))
            {
                output.WriteLine($"(no timings in {path})");
                continue;
            }
            foreach (string line in File.ReadAllLines(path).Where(l => l.Length > 0))
            {
                var f = line.Split('\t');
                if (f.Length != 6) throw new FormatException($"{path}: a timing row has 6 tab-separated fields (id, workload, framework, median ms, min ms, runs); got '{line}'.");
                rows.Add(new TimingRow(f[0], f[1], f[2], double.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture), int.Parse(f[5], CultureInfo.InvariantCulture)));
            }
        }
        output.WriteLine("| id | workload | Strider median ms | PyTorch median ms | PyTorch / Strider (speed vs PyTorch) |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: |");
        foreach (var group in rows.GroupBy(r => r.Id).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var strider = group.FirstOrDefault(r => r.Framework == "strider");
            var torch = group.FirstOrDefault(r => r.Framework == "pytorch");
            string ratio = strider is not null && torch is not null ? $"{torch.MedianMs / strider.MedianMs:F3}" : "-";
            output.WriteLine($"| {group.Key} | {(strider ?? torch)!.Workload} | {Ms(strider)} | {Ms(torch)} | {ratio} |");
        }
        return 0;
    }

    private static string Ms(TimingRow? row) => row is null ? "-" : row.MedianMs.ToString("F2", CultureInfo.InvariantCulture);
}
