using System.Runtime.CompilerServices;

namespace Strider.Generator.Tests.Infrastructure;

/// <summary>
/// Checked-in expected files for generated code and diagrams, under Snapshots/Expected. Set STRIDER_UPDATE_SNAPSHOTS=1
/// to rewrite them from the current generator and delete the ones no test produces (then review the diff like code);
/// otherwise a difference fails with a unified diff, and a missing or stale file fails naming it.
/// </summary>
internal static class Snapshot
{
    /// <summary>Lines of unchanged text shown around each change in a diff.</summary>
    private const int Context = 3;

    /// <summary>The most diff lines a failure prints: enough to see a change, not a whole regenerated file.</summary>
    private const int MaxDiffLines = 200;

    /// <summary>Snapshots/Expected in the source tree (found from this file's path, whoever calls).</summary>
    public static string Directory() => ExpectedNextTo();

    private static string ExpectedNextTo([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Snapshots", "Expected"));

    public static bool Updating => Environment.GetEnvironmentVariable("STRIDER_UPDATE_SNAPSHOTS") == "1";

    /// <summary>Fails unless <paramref name="actual"/> is the checked-in Expected/caseName/fileName (or writes it when updating).</summary>
    public static void Match(string caseName, string fileName, string actual) => Match(caseName + "/" + fileName, actual);

    /// <summary>Fails unless <paramref name="actual"/> is the checked-in file at <paramref name="relativePath"/> under Expected (or writes it when updating).</summary>
    public static void Match(string relativePath, string actual)
    {
        string? failure = Check(Directory(), relativePath, actual, Updating);
        if (failure is not null) Assert.Fail(failure);
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with the file at <paramref name="relativePath"/> under <paramref name="root"/>;
    /// returns why they differ (null when they agree). With <paramref name="update"/> it writes the file instead.
    /// </summary>
    public static string? Check(string root, string relativePath, string actual, bool update)
    {
        string file = Path.Combine(root, relativePath);
        actual = Normalize(actual);
        if (update)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (!File.Exists(file) || Normalize(File.ReadAllText(file)) != actual) File.WriteAllText(file, actual);
            return null;
        }
        if (!File.Exists(file))
            return $"Missing snapshot {relativePath} (expected at {file}). Run the tests with STRIDER_UPDATE_SNAPSHOTS=1 to create it, then review it.";
        string expected = Normalize(File.ReadAllText(file));
        if (expected == actual) return null;
        return $"Generated {relativePath} differs from its snapshot {file} (- snapshot, + generated):\n"
            + UnifiedDiff(expected, actual, "expected/" + relativePath, "actual/" + relativePath)
            + "Run with STRIDER_UPDATE_SNAPSHOTS=1 to accept, and review the diff.";
    }

    /// <summary>
    /// Checks the files under <paramref name="root"/> against the set the tests produce (relative paths with '/'):
    /// returns one line per file that no test produces (stale) and per produced one that is missing. With
    /// <paramref name="update"/> it deletes the stale ones (the producing tests write the missing ones).
    /// </summary>
    public static IReadOnlyList<string> CheckInventory(string root, IEnumerable<string> produced, bool update)
    {
        root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var wanted = new SortedSet<string>(produced, StringComparer.Ordinal);
        var present = System.IO.Directory.Exists(root)
            ? new SortedSet<string>(System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')), StringComparer.Ordinal)
            : new SortedSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (string stale in present.Where(p => !wanted.Contains(p)))
        {
            if (update) File.Delete(Path.Combine(root, stale));
            else problems.Add($"Stale snapshot {stale}: no test produces it. Delete it, or run the tests with STRIDER_UPDATE_SNAPSHOTS=1.");
        }
        if (update)
        {
            // A folder the deletions leave empty goes too (only those: a test may be creating a new case's folder meanwhile).
            var emptied = present.Where(p => !wanted.Contains(p)).Select(p => Path.GetDirectoryName(Path.Combine(root, p))!)
                .Distinct().OrderByDescending(d => d.Length);
            foreach (string dir in emptied)
                for (string? d = dir; d is not null && d.Length > root.Length && !System.IO.Directory.EnumerateFileSystemEntries(d).Any(); d = Path.GetDirectoryName(d))
                    System.IO.Directory.Delete(d);
            return problems;
        }
        foreach (string missing in wanted.Where(p => !present.Contains(p)))
            problems.Add($"Missing snapshot {missing}: a test produces it but it is not checked in. Run the tests with STRIDER_UPDATE_SNAPSHOTS=1, then review it.");
        return problems;
    }

    /// <summary>
    /// A unified diff (as <c>diff -u</c> writes it) from <paramref name="expected"/> to <paramref name="actual"/>, lines
    /// compared exactly; empty when they are equal. Output past <see cref="MaxDiffLines"/> lines is cut with a count.
    /// </summary>
    public static string UnifiedDiff(string expected, string actual, string expectedName = "expected", string actualName = "actual")
    {
        var a = Lines(Normalize(expected));
        var b = Lines(Normalize(actual));
        var edits = LineDiff.Compute(a, b);
        if (edits.All(e => e.Kind == ' ')) return "";
        var output = new List<string> { "--- " + expectedName, "+++ " + actualName };
        foreach (var (start, end) in Hunks(edits))
        {
            int oldStart = edits[start].OldLine, newStart = edits[start].NewLine;
            int oldCount = 0, newCount = 0;
            for (int i = start; i < end; i++)
            {
                if (edits[i].Kind != '+') oldCount++;
                if (edits[i].Kind != '-') newCount++;
            }
            // diff -u numbers lines from 1, and an empty side by the line before it.
            output.Add($"@@ -{Range(oldStart, oldCount)} +{Range(newStart, newCount)} @@");
            for (int i = start; i < end; i++) output.Add(edits[i].Kind + edits[i].Text);
        }
        var text = new System.Text.StringBuilder();
        foreach (string line in output.Take(MaxDiffLines)) text.Append(line).Append('\n');
        if (output.Count > MaxDiffLines) text.Append($"... {output.Count - MaxDiffLines} more diff lines\n");
        return text.ToString();
    }

    private static string Range(int firstIndex, int count) =>
        count == 0 ? $"{firstIndex},0" : count == 1 ? $"{firstIndex + 1}" : $"{firstIndex + 1},{count}";

    /// <summary>Edit runs with <see cref="Context"/> lines either side, runs closer than twice that joined: [start, end) into the edits.</summary>
    private static IEnumerable<(int Start, int End)> Hunks(IReadOnlyList<LineDiff.Edit> edits)
    {
        int i = 0;
        while (i < edits.Count)
        {
            while (i < edits.Count && edits[i].Kind == ' ') i++;
            if (i == edits.Count) yield break;
            int start = Math.Max(0, i - Context);
            int lastChange = i;
            int j = i;
            while (j < edits.Count)
            {
                if (edits[j].Kind != ' ') lastChange = j;
                else if (j - lastChange > 2 * Context) break;
                j++;
            }
            int end = Math.Min(edits.Count, lastChange + 1 + Context);
            yield return (start, end);
            i = end;
        }
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    // A final newline ends the last line rather than starting an empty one.
    private static string[] Lines(string text) =>
        text.Length == 0 ? [] : (text.EndsWith('\n') ? text[..^1] : text).Split('\n');
}
