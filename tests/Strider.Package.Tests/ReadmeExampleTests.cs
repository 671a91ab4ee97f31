namespace Strider.Package.Tests;

/// <summary>
/// The README's first example as a reader uses it: pasted whole into Program.cs of a new console app that references
/// the package (top-level statements, implicit usings), for the newest target and for net8.0.
/// </summary>
[Trait("Speed", "Slow")]
[Collection(PackedRuntimeCollection.Name)]
public class ReadmeExampleTests(PackedRuntime package, ITestOutputHelper log)
{
    private static string FirstExample() => Markdown.FirstCSharpBlock(File.ReadAllText(Path.Combine(PackedRuntime.RepositoryRoot, "README.md")));

    [Fact]
    public void The_readmes_first_example_compiles_and_runs_in_a_new_console_app()
    {
        string dir = package.WriteConsumer("ReadmeFirst", FirstExample());
        var (buildExit, build) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers");
        log.WriteLine(build);
        Assert.True(buildExit == 0, "The README's first example does not compile in a new console app:\n" + build);

        var (runExit, run) = PackedRuntime.Run(dir, "dotnet", "run", "--no-build");
        log.WriteLine(run);
        Assert.True(runExit == 0, "The README's first example failed when run:\n" + run);
        // It prints the summary the README shows next, and writes the files it names.
        Assert.Contains("Total parameters: 431,080", run);
        Assert.True(new FileInfo(Path.Combine(dir, "lenet.safetensors")).Length > 431_080 * 4, "lenet.safetensors is missing or short.");
        Assert.True(File.Exists(Path.Combine(dir, "lenet.onnx")), "lenet.onnx is missing.");
    }

    [Fact]
    public void A_net8_console_app_restores_and_builds_against_the_package_and_computes_what_net10_computes()
    {
        string net8 = package.WriteConsumer("ReadmeNet8", FirstExample(), "net8.0");
        var (buildExit, build) = PackedRuntime.Run(net8, "dotnet", "build", "-nologo", "--disable-build-servers");
        log.WriteLine(build);
        Assert.True(buildExit == 0, "A net8.0 consumer does not build against the package:\n" + build);
        Assert.DoesNotContain("NU1202", build);
        // It compiled against the net8.0 build of the runtime, not a net10.0 one it could not run on.
        string assets = File.ReadAllText(Path.Combine(net8, "obj", "project.assets.json"));
        Assert.Contains("lib/net8.0/Strider.dll", assets);

        // No .NET 8 runtime here: run the net8.0 app on the installed one (roll forward), which still executes the
        // net8.0 runtime library and its stand-ins for .NET 9 APIs; its numbers must equal the net10.0 library's.
        var rollForward = new Dictionary<string, string> { ["DOTNET_ROLL_FORWARD"] = "Major" };
        var (runExit, run8) = PackedRuntime.Run(net8, rollForward, "dotnet", Path.Combine(net8, "bin", "Debug", "net8.0", "ReadmeNet8.dll"));
        log.WriteLine(run8);
        Assert.True(runExit == 0, "The net8.0 build failed when run on the installed runtime:\n" + run8);

        string net10 = package.WriteConsumer("ReadmeNet10", FirstExample());
        var (build10Exit, build10) = PackedRuntime.Run(net10, "dotnet", "build", "-nologo", "--disable-build-servers");
        Assert.True(build10Exit == 0, build10);
        var (run10Exit, run10) = PackedRuntime.Run(net10, "dotnet", "run", "--no-build");
        Assert.True(run10Exit == 0, run10);
        Assert.Contains("loss ", run8);
        Assert.Equal(run10, run8);
    }
}
