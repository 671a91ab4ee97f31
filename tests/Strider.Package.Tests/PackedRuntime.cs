using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;

namespace Strider.Package.Tests;

/// <summary>
/// The runtime packed once (with its generator and code fixes under analyzers/dotnet/cs) into a temporary folder feed,
/// under a unique prerelease version so the global packages cache can never serve an older copy.
/// </summary>
public sealed class PackedRuntime : IDisposable
{
    public PackedRuntime()
    {
        Root = Directory.CreateTempSubdirectory("strider-package-").FullName;
        Feed = Path.Combine(Root, "feed");
        Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Guid.NewGuid().ToString("N")[..8];
        string repository = RepositoryRoot;
        string project = Path.Combine(repository, "src", "Runtime", "Strider.csproj");
        // The test project builds the runtime first (a project reference), so packing only reads those outputs:
        // --no-build (which implies --no-restore) and the nuspec written under Root leave the repository's bin/obj
        // untouched while other test projects of the solution build in parallel.
        var pack = Run(Root, "dotnet", "pack", project, "--no-build", "-c", Metadata("Configuration"), "-o", Feed,
            "-p:PackageVersion=" + Version, "-p:NuspecOutputPath=" + Path.Combine(Root, "nuspec") + Path.DirectorySeparatorChar,
            "-nologo");
        if (pack.ExitCode != 0 || !File.Exists(Package))
            throw new InvalidOperationException($"dotnet pack failed ({pack.ExitCode}):\n{pack.Output}");
        // Consumers live outside the repository: stop MSBuild's upward search for Directory.Build.* files at Root,
        // and pin the repository's SDK choice.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />");
        File.Copy(Path.Combine(repository, "global.json"), Path.Combine(Root, "global.json"));
    }

    /// <summary>A temporary folder holding the feed and the consumer projects; deleted on dispose.</summary>
    public string Root { get; }

    public string Feed { get; }

    public string Version { get; }

    public string Package => Path.Combine(Feed, "Strider." + Version + ".nupkg");

    /// <summary>The symbols package dotnet pack writes beside <see cref="Package"/> (portable PDBs for the symbol server).</summary>
    public string SymbolsPackage => Path.Combine(Feed, "Strider." + Version + ".snupkg");

    /// <summary>The repository the package was packed from (its README, docs and sources).</summary>
    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>
    /// Extracts one entry of <paramref name="zipPath"/> (a .nupkg or .snupkg) under Root, once, and returns its path.
    /// Never again over a file already extracted: one test loads the packed generator from it into a collectible load
    /// context (the file stays mapped until the finalizer thread unloads it), and extracting it again for another test
    /// truncated the mapped file before rewriting it. When the unload touched the mapping inside that window, this test
    /// process died with SIGBUS (exit 135): the crash report put the finalizer thread in the fault and another thread
    /// in DiagnosticPagesTests.IdLiterals, reading the file just extracted again. It came and went with the GC's timing.
    /// </summary>
    public string Extract(string zipPath, string entry) =>
        _extracted.GetOrAdd(zipPath + "|" + entry, _ => new Lazy<string>(() => ExtractOnce(zipPath, entry))).Value;

    private readonly ConcurrentDictionary<string, Lazy<string>> _extracted = new();

    private string ExtractOnce(string zipPath, string entry)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var found = zip.GetEntry(entry) ?? throw new FileNotFoundException($"{Path.GetFileName(zipPath)} has no entry '{entry}'.");
        string path = Path.Combine(Root, "extracted", Path.GetFileName(zipPath), entry);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        found.ExtractToFile(path, overwrite: false);
        return path;
    }

    /// <summary>
    /// Writes a console project referencing the packed runtime, with <paramref name="program"/> as Program.cs (none when null), for
    /// <paramref name="targetFramework"/> with that framework's default C# version, as `dotnet new console` would;
    /// <paramref name="items"/> are more MSBuild items (sources compiled from elsewhere), added to the project as is.
    /// </summary>
    public string WriteConsumer(string name, string? program, string targetFramework = "net10.0", string items = "")
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <!-- The package mirror lacks some exact dependency versions and serves the next one up. -->
                <NoWarn>$(NoWarn);NU1603</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Strider" Version="{Version}" />
                {items}
              </ItemGroup>
            </Project>
            """);
        // Adds the local feed; the machine's own sources (user-level NuGet.Config, the CI mirror) still apply.
        File.WriteAllText(Path.Combine(dir, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="strider-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        if (program is not null) File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        return dir;
    }

    public static (int ExitCode, string Output) Run(string directory, string file, params string[] args) =>
        Run(directory, new Dictionary<string, string>(), file, args);

    /// <summary>Runs <paramref name="file"/> with <paramref name="environment"/> added to this process's environment.</summary>
    public static (int ExitCode, string Output) Run(string directory, IReadOnlyDictionary<string, string> environment, string file, params string[] args)
    {
        // The dotnet CLI running these tests names its own host; use it rather than whatever 'dotnet' PATH finds first.
        if (file == "dotnet" && Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) file = host;
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        // No lingering build servers or node reuse: the test leaves no processes behind.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(" ", args)}' took over 3 minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }

    private static string Metadata(string key) =>
        typeof(PackedRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public void Dispose()
    {
        TryDelete(Root);
        // The unique version would otherwise pile up in the global packages folder, one per run.
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        TryDelete(Path.Combine(packages, "strider", Version.ToLowerInvariant()));
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open (a virus scanner, an indexer) must not fail the tests; the OS cleans its temp folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
