namespace Strider.Package.Tests;

/// <summary>How users meet Strider: a project that references the packed package from a folder feed and builds with `dotnet build`.</summary>
public class ConsumerTests(PackedRuntime package) : IClassFixture<PackedRuntime>
{
    /// <summary>The U-net of the issue at a given size; Forward runs one image through the generated code and prints its shape.</summary>
    private static string Program(int size) => $$"""
        using Strider;

        using var net = new Ddae();
        using var x = Tensor<S1x{{size}}x{{size}}>.From(new float[{{size}} * {{size}}]);
        var y = net.Forward(x);
        Console.WriteLine("output " + y.Batch + "x" + string.Join("x", y.Dims.ToArray()));

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
    public void The_package_carries_the_generator_and_the_code_fixes_as_analyzers()
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(package.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Contains("analyzers/dotnet/cs/Strider.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/Strider.CodeFixes.dll", entries);
        Assert.Contains("lib/net10.0/Strider.dll", entries);
    }

    [Fact]
    public void The_unet_at_1570_fails_to_build_with_the_error_on_the_input_size()
    {
        string program = Program(1570);
        string dir = package.WriteConsumer("Unet1570", program);
        var (exit, output) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers");

        Assert.True(exit != 0, "The 1570 U-net built:\n" + output);
        // MSBuild's file(line,col) is 1-based; the error sits on the first size argument (axis H).
        int offset = program.IndexOf("Input(1, 1570", StringComparison.Ordinal) + "Input(1, ".Length;
        int line = program[..offset].Count(c => c == '\n') + 1;
        int column = offset - program.LastIndexOf('\n', offset - 1);
        Assert.Contains($"Program.cs({line},{column}): error STR0002: The input size 1570 on axis H does not fit: " +
            "the merge 'add1' gets 390 from 'c12' and 389 from 'd12'. Valid sizes are 61 + 16n (n >= 0); the nearest are 1565 and 1581. " +
            "Pad H by 11 to reach 1581, or declare 1565.", output);
        Assert.Contains($"Program.cs({line},{column + "1570, ".Length}): error STR0002: The input size 1570 on axis W", output);
    }

    [Fact]
    public void The_unet_at_1565_builds_clean_and_runs_forward_through_the_generated_code()
    {
        string dir = package.WriteConsumer("Unet1565", Program(1565));
        var (buildExit, build) = PackedRuntime.Run(dir, "dotnet", "build", "-nologo", "--disable-build-servers", "-warnaserror");
        Assert.True(buildExit == 0, "The 1565 U-net did not build clean:\n" + build);
        Assert.DoesNotContain("STR0", build);

        var (runExit, run) = PackedRuntime.Run(dir, "dotnet", "run", "--no-build");
        Assert.True(runExit == 0, "dotnet run failed:\n" + run);
        Assert.Contains("output 1x1x1565x1565", run);
    }
}
