using System.Runtime.CompilerServices;

namespace Strider.Generator.Tests.Infrastructure;

/// <summary>
/// Checked-in expected files for generated code. Set STRIDER_UPDATE_SNAPSHOTS=1 to rewrite them from the current
/// generator (then review the diff like code); otherwise any difference fails the test.
/// </summary>
internal static class Snapshot
{
    public static string Directory([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "..", "Snapshots", "Expected");

    public static void Match(string caseName, string fileName, string actual)
    {
        string dir = Path.Combine(Directory(), caseName);
        string file = Path.Combine(dir, fileName);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("STRIDER_UPDATE_SNAPSHOTS") == "1")
        {
            System.IO.Directory.CreateDirectory(dir);
            File.WriteAllText(file, actual);
            return;
        }
        Assert.True(File.Exists(file), $"No snapshot {file}. Run the tests with STRIDER_UPDATE_SNAPSHOTS=1 to create it, then review it.");
        string expected = File.ReadAllText(file).Replace("\r\n", "\n");
        if (expected == actual) return;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line]) line++;
        Assert.Fail($"Generated {fileName} differs from {file} at line {line + 1}:\n expected: {(line < e.Length ? e[line] : "<end>")}\n actual:   {(line < a.Length ? a[line] : "<end>")}\nRun with STRIDER_UPDATE_SNAPSHOTS=1 to accept, and review the diff.");
    }
}
