using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Strider.Package.Tests;

/// <summary>
/// The GPU check bundle (tools/gpu/bundle.sh) as a GPU machine without .NET meets it: built into a temporary folder,
/// copied elsewhere, and its run.sh --simulator run with a PATH of basic shell tools only (no dotnet) and no DOTNET_ROOT.
/// </summary>
[Trait("Speed", "Slow")]
public class GpuBundleTests(ITestOutputHelper log)
{
    /// <summary>The bundle travels with the repository to the GPU machine, which takes 64 MiB at most in all.</summary>
    private const long MaxBundleBytes = 60_000_000;

    /// <summary>What run.sh calls besides its own payload (nvidia-smi and python3 are optional there, absent here).</summary>
    private static readonly string[] ShellTools = ["bash", "sh", "env", "dirname", "mktemp", "mkdir", "rm", "tee", "tar", "xz", "timeout", "uname", "date", "cat", "grep"];

    [Fact]
    public void Bundle_fits_and_passes_the_simulator_check_without_dotnet_on_the_path()
    {
        string root = Directory.CreateTempSubdirectory("strider-gpu-bundle-").FullName;
        try
        {
            string repository = PackedRuntime.RepositoryRoot;
            string built = Path.Combine(root, "built");
            // The project references build the test assembly and the check app first; the script packs their outputs.
            var bundle = PackedRuntime.Run(repository, "bash", Path.Combine(repository, "tools", "gpu", "bundle.sh"), "--no-build", "-c", Configuration, built);
            log.WriteLine(bundle.Output);
            Assert.True(bundle.ExitCode == 0, "bundle.sh failed:\n" + bundle.Output);
            long size = new DirectoryInfo(built).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            Assert.True(size <= MaxBundleBytes, $"The bundle is {size} bytes, over {MaxBundleBytes}.");

            string copy = Path.Combine(root, "copy");
            Directory.CreateDirectory(copy);
            // File.Copy keeps the mode bits on Unix: run.sh stays executable.
            foreach (var file in Directory.EnumerateFiles(built)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            string tools = ToolsFolder(Path.Combine(root, "bin"));

            var (exit, output) = RunClean(copy, tools, Path.Combine(root, "home"), Path.Combine(copy, "run.sh"), "--simulator");
            log.WriteLine(output);
            Assert.True(exit == 0, $"run.sh --simulator exited {exit}:\n{output}");
            Assert.Contains("== what ILGPU sees: ok", output);
            Assert.Contains("Device: ilgpu-cpu", output);
            Assert.DoesNotContain("/usr/share/dotnet", output);
            Assert.Matches(@"\.NET 10\.[0-9.]+ from /tmp/[^ ]+/dotnet/shared/Microsoft\.NETCore\.App/", output);
            Assert.Matches(@"Total: [1-9][0-9]*, Errors: 0, Failed: 0, Skipped: 0", output);
            Assert.Contains("ok   LeNet train step", output);
            Assert.Contains("ok   U-net train step", output);
            Assert.Contains("AGREEMENT: ok", output);
            Assert.Contains("W5, W7 skipped on the simulator", output);
            Assert.Matches(@"\| W3 \| U-net train step b1 61x61 \| [0-9]+\.[0-9]{2} \| - \| - \|", output);
            Assert.EndsWith("GPU CHECK (simulator): PASSED", output.TrimEnd());

            // The tiling sweep a GPU session runs after the check: on the simulator, two tilings that must agree.
            var (tuneExit, tuneOutput) = RunClean(copy, tools, Path.Combine(root, "home"), Path.Combine(copy, "tune.sh"), "--simulator");
            log.WriteLine(tuneOutput);
            Assert.True(tuneExit == 0, $"tune.sh --simulator exited {tuneExit}:\n{tuneOutput}");
            Assert.Contains("== tiling 2x2 threads, 8 deep", tuneOutput);
            Assert.EndsWith("TILINGS AGREE: ok", tuneOutput.TrimEnd());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>A folder of links to the basic shell tools, so a PATH of it alone holds no dotnet (this machine's /usr/bin does).</summary>
    private static string ToolsFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (string tool in ShellTools)
        {
            string? found = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException($"The bundle test needs '{tool}' in /usr/bin or /bin.");
            File.CreateSymbolicLink(Path.Combine(folder, tool), found);
        }
        Assert.False(File.Exists(Path.Combine(folder, "dotnet")));
        return folder;
    }

    /// <summary>Runs <paramref name="file"/> with only PATH and HOME set: no DOTNET_ROOT, no dotnet to find.</summary>
    private static (int ExitCode, string Output) RunClean(string directory, string path, string home, string file, params string[] args)
    {
        Directory.CreateDirectory(home);
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment.Clear();
        info.Environment["PATH"] = path;
        info.Environment["HOME"] = home;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // run.sh limits each of its steps; this only stops a hung script.
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"run.sh --simulator took over 8 minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string Configuration =>
        typeof(GpuBundleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;
}
