using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Snapshots;

/// <summary>The snapshot checks themselves, on a temporary folder: a difference, a missing file and a stale one each fail.</summary>
public sealed class SnapshotInfrastructureTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "strider-snapshots-" + Guid.NewGuid().ToString("N"));

    public SnapshotInfrastructureTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relativePath, string text)
    {
        string file = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
    }

    private static string Numbered(int count, params (int Line, string Text)[] changes)
    {
        var lines = Enumerable.Range(1, count).Select(i => "line " + i).ToArray();
        foreach (var (line, text) in changes) lines[line - 1] = text;
        return string.Join("\n", lines) + "\n";
    }

    [Fact]
    public void A_differing_file_fails_with_a_unified_diff_that_names_it()
    {
        Write("Case/Net.g.cs", Numbered(10));
        string? failure = Snapshot.Check(_root, "Case/Net.g.cs", Numbered(10, (5, "line five")), update: false);
        Assert.NotNull(failure);
        Assert.Contains(Path.Combine(_root, "Case/Net.g.cs"), failure);
        Assert.Contains("""
            --- expected/Case/Net.g.cs
            +++ actual/Case/Net.g.cs
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8

            """.Replace("\r\n", "\n"), failure);
        Assert.Contains("STRIDER_UPDATE_SNAPSHOTS=1", failure);
    }

    [Fact]
    public void An_equal_file_passes_whatever_its_line_endings()
    {
        Write("Case/Net.g.cs", Numbered(4).Replace("\n", "\r\n"));
        Assert.Null(Snapshot.Check(_root, "Case/Net.g.cs", Numbered(4), update: false));
    }

    [Fact]
    public void A_missing_file_fails_naming_it()
    {
        string? failure = Snapshot.Check(_root, "Case/Net.g.cs", Numbered(3), update: false);
        Assert.NotNull(failure);
        Assert.StartsWith("Missing snapshot Case/Net.g.cs", failure);
    }

    [Fact]
    public void Updating_writes_the_file_which_then_matches()
    {
        Write("Case/Net.g.cs", Numbered(3));
        Assert.Null(Snapshot.Check(_root, "Case/Net.g.cs", Numbered(3, (2, "new")), update: true));
        Assert.Null(Snapshot.Check(_root, "Diagrams/Net.svg", "<svg/>", update: true));
        Assert.Null(Snapshot.Check(_root, "Case/Net.g.cs", Numbered(3, (2, "new")), update: false));
        Assert.Equal("<svg/>", File.ReadAllText(Path.Combine(_root, "Diagrams/Net.svg")));
    }

    [Fact]
    public void Stale_and_missing_files_each_fail_the_inventory_by_name()
    {
        Write("LeNet/Samples.LeNet.g.cs", "");
        Write("LeNet/Samples.Old.g.cs", "");
        Write("Diagrams/Old.svg", "");
        var problems = Snapshot.CheckInventory(_root, ["LeNet/Samples.LeNet.g.cs", "Ddae/Samples.Ddae.g.cs"], update: false);
        Assert.Collection(problems,
            p => Assert.StartsWith("Stale snapshot Diagrams/Old.svg: no test produces it", p),
            p => Assert.StartsWith("Stale snapshot LeNet/Samples.Old.g.cs: no test produces it", p),
            p => Assert.StartsWith("Missing snapshot Ddae/Samples.Ddae.g.cs: a test produces it", p));
        Assert.Empty(Snapshot.CheckInventory(_root, ["LeNet/Samples.LeNet.g.cs", "LeNet/Samples.Old.g.cs", "Diagrams/Old.svg"], update: false));
    }

    [Fact]
    public void Updating_deletes_stale_files_and_the_folders_they_leave_empty()
    {
        Write("LeNet/Samples.LeNet.g.cs", "kept");
        Write("Gone/Samples.Gone.g.cs", "");
        Write("Diagrams/Old.svg", "");
        Assert.Empty(Snapshot.CheckInventory(_root, ["LeNet/Samples.LeNet.g.cs"], update: true));
        Assert.Equal(new[] { "LeNet/Samples.LeNet.g.cs" },
            Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_root, f).Replace('\\', '/')));
        Assert.Equal(new[] { Path.Combine(_root, "LeNet") }, Directory.EnumerateDirectories(_root));
    }

    [Fact]
    public void Changes_more_than_six_lines_apart_are_separate_hunks_and_closer_ones_one()
    {
        string far = Snapshot.UnifiedDiff(Numbered(30), Numbered(30, (3, "x"), (11, "y")));
        Assert.Equal(new[] { "@@ -1,6 +1,6 @@", "@@ -8,7 +8,7 @@" }, far.Split('\n').Where(l => l.StartsWith("@@")));
        string near = Snapshot.UnifiedDiff(Numbered(30), Numbered(30, (3, "x"), (10, "y")));
        Assert.Equal(new[] { "@@ -1,13 +1,13 @@" }, near.Split('\n').Where(l => l.StartsWith("@@")));
    }

    [Fact]
    public void Added_and_removed_lines_are_numbered_as_diff_u_numbers_them()
    {
        Assert.Equal("--- expected\n+++ actual\n@@ -0,0 +1 @@\n+only\n", Snapshot.UnifiedDiff("", "only\n"));
        Assert.Equal("--- expected\n+++ actual\n@@ -1,3 +1,2 @@\n line 1\n-line 2\n line 3\n", Snapshot.UnifiedDiff(Numbered(3), "line 1\nline 3\n"));
        Assert.Equal("--- expected\n+++ actual\n@@ -1,3 +1,4 @@\n line 1\n line 2\n line 3\n+line 4\n", Snapshot.UnifiedDiff(Numbered(3), Numbered(4)));
        Assert.Equal("", Snapshot.UnifiedDiff(Numbered(3), Numbered(3)));
    }

    [Fact]
    public void A_long_diff_is_cut_with_a_count_of_what_is_left_out()
    {
        string diff = Snapshot.UnifiedDiff(Numbered(500), string.Concat(Enumerable.Range(1, 500).Select(i => $"other {i}\n")));
        var lines = diff.TrimEnd('\n').Split('\n');
        Assert.Equal(201, lines.Length);
        Assert.Equal("... 803 more diff lines", lines[^1]);
    }
}
