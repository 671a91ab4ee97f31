namespace Strider.Package.Tests;

/// <summary>How users meet Strider: a project that references the packed package from a folder feed and builds with `dotnet build`.</summary>
[Trait("Speed", "Slow")]
[Collection(PackedRuntimeCollection.Name)]
public class ConsumerTests(PackedRuntime package, ITestOutputHelper log)
{
    /// <summary>
    /// The U-net of the issue declared at <paramref name="size"/>; the program runs one image through the generated Forward and checks the last merge, noisy + SoftSign(...), keeps every output within 1 of its input.
    /// </summary>
    private static string Program(int size) => $$"""
        using Strider;

        using var net = new Ddae();
        var pixels = new float[{{size}} * {{size}}];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = i % 7 / 7f;
        using var x = Tensor<S1x{{size}}x{{size}}>.From(pixels);
        var y = net.Forward(x);
        var values = y.ToArray();
        bool near = values.Length == pixels.Length && values.Select((v, i) => Math.Abs(v - pixels[i]) < 1).All(b => b);
        Console.WriteLine("output " + y.Batch + "x" + string.Join("x", y.Dims.ToArray()) + ", within 1 of the input: " + near);

        [Network]
        [Input(1, {{size}}, {{size}}, Name = "noisy")]
        [Conv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(32, 5, Stride = 2), BatchNorm, Relu(Name = "c12")]
        [Conv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Conv(64, 5, Stride = 2), BatchNorm, Relu]
        [Deconv(64, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(32, 5, Stride = 2), BatchNorm, Relu(Name = "d12")]
        [Add("c12", "d12")]
        [Deconv(32, 5, Stride = 2), BatchNorm, Relu, Dropout(0.1), Deconv(1, 5, Stride = 2), BatchNorm, SoftSign(Name = "d34")]
        [Add("noisy", "d34")]
        public partial class Ddae;
        """;

    [Fact]
    public void The_unet_at_1570_fails_to_build_with_the_error_on_the_input_size()
    {
        string program = Program(1570);
        string dir = package.WriteConsumer("Unet1570", program);
        var (exit, output) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers");
        log.WriteLine(output);

        Assert.True(exit != 0, "The 1570 U-net built:\n" + output);
        // MSBuild's (line,col) is 1-based: (13,11) and (13,17) are the two 1570 arguments of [Input(1, 1570, 1570, ...)].
        string[] lines = program.Split('\n');
        Assert.StartsWith("1570, 1570,", lines[12][10..]);
        const string Fit = "Valid sizes are 61 + 16n (n >= 0); the nearest are 1565 and 1581.";
        const string Docs = "https://github.com/strider-nn/strider/blob/main/docs/diagnostics/";
        string[] expected =
        [
            "Program.cs(13,11): error STR0002: The input size 1570 on axis H does not fit: the merge 'add1' gets 390 from 'c12' and 389 from 'd12'. " +
                Fit + " Pad H by 11 to reach 1581, or declare 1565. (" + Docs + "STR0002.md)",
            "Program.cs(13,17): error STR0002: The input size 1570 on axis W does not fit: the merge 'add1' gets 390 from 'c12' and 389 from 'd12'. " +
                Fit + " Pad W by 11 to reach 1581, or declare 1565. (" + Docs + "STR0002.md)",
            "Program.cs(13,11): warning STR0001: The input size 1570 on axis H loses input at layer 'conv1': its windows leave the last 1 of 1570 values unread " +
                "(out = floor((in - 5) / 2) + 1). " + Fit + " Pad H by 11 to reach 1581, or declare 1565. (" + Docs + "STR0001.md)",
            "Program.cs(13,17): warning STR0001: The input size 1570 on axis W loses input at layer 'conv1': its windows leave the last 1 of 1570 values unread " +
                "(out = floor((in - 5) / 2) + 1). " + Fit + " Pad W by 11 to reach 1581, or declare 1565. (" + Docs + "STR0001.md)",
        ];
        foreach (string line in expected)
            Assert.True(output.Contains(line, StringComparison.Ordinal), $"Missing from the build output:\n{line}\n\nBuild output:\n{output}");
        // The invalid network's class is obsolete-as-error with its first error's ID, so `new Ddae()` (line 3) repeats that STR0002 in the program.
        Assert.Contains(output.Split('\n'), l => l.Contains("Program.cs(3,", StringComparison.Ordinal) && l.Contains(": error STR0002: 'Ddae' is obsolete: 'The input size 1570 on axis H", StringComparison.Ordinal));
        // No other Strider diagnostic: MSBuild repeats each one in its summary, so count distinct lines.
        var strider = output.Split('\n').Where(l => (l.Contains(": error STR") || l.Contains(": warning STR")) && !l.Contains("is obsolete:", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        Assert.True(strider.Count == expected.Length, $"Expected {expected.Length} Strider diagnostics, got {strider.Count}:\n{string.Join("\n", strider)}");
    }

    [Fact]
    public void The_unet_at_1565_builds_clean_and_runs_forward_through_the_generated_code()
    {
        string dir = package.WriteConsumer("Unet1565", Program(1565));
        var (buildExit, build) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers", "-warnaserror");
        log.WriteLine(build);
        Assert.True(buildExit == 0, "The 1565 U-net did not build clean:\n" + build);
        Assert.DoesNotContain("STR0", build);

        var (runExit, run) = PackedRuntime.Run(dir, "dotnet", "run", "--no-build");
        log.WriteLine(run);
        Assert.True(runExit == 0, "dotnet run failed:\n" + run);
        Assert.Contains("output 1x1x1565x1565, within 1 of the input: True", run);
    }

    [Fact]
    public void Pictures_and_image_folders_work_from_the_package_with_its_native_assets()
    {
        // SkiaSharp's native library and ScottPlot reach a consumer only through the package's dependencies: draw the
        // generated diagram as PNG, decode it back through ImageFolder, and plot curves, all in a new console app.
        const string Program = """
            using Strider;
            using Strider.Data;
            using Strider.IO;
            using Strider.Training;

            Directory.CreateDirectory("images/diagram");
            Tiny.SaveDiagram("images/diagram/tiny.png");
            Tiny.SaveDiagram("tiny.svg");
            var images = ImageFolder.Load("images", new ImageFolderOptions { Channels = 1, Height = 8, Width = 8 });
            var history = new[] { new EpochResult(1, new Evaluation(1.0, 0.5, 10), new Evaluation(1.2, 0.4, 5), TimeSpan.FromSeconds(1), 10) };
            Plots.TrainingCurves("curves.png", history);
            bool drawn = images.Train.Inputs.Min() < images.Train.Inputs.Max(); // boxes and text on white, not a blank image
            Console.WriteLine("images " + images.Train.Count + " class " + images.ClassNames[0] + " drawn " + drawn
                + " svg " + (new FileInfo("tiny.svg").Length > 0) + " curves " + (new FileInfo("curves.png").Length > 1000));

            [Network, Input(1, 8, 8), Conv(2, 3), Relu]
            public partial class Tiny;
            """;
        string dir = package.WriteConsumer("Pictures", Program);
        var (buildExit, build) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers", "-warnaserror");
        log.WriteLine(build);
        Assert.True(buildExit == 0, "The pictures consumer did not build clean:\n" + build);

        var (runExit, run) = PackedRuntime.Run(dir, "dotnet", "run", "--no-build");
        log.WriteLine(run);
        Assert.True(runExit == 0, "dotnet run failed:\n" + run);
        Assert.Contains("images 1 class diagram drawn True svg True curves True", run);
    }
}
