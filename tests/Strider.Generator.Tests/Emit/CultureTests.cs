using System.Globalization;
using Strider.Generator.Tests.Infrastructure;

namespace Strider.Generator.Tests.Emit;

/// <summary>Generated code and messages do not depend on the culture of the IDE or build machine, and name the generator's own version.</summary>
public class CultureTests
{
    private const string Floats = """
        using Strider;

        namespace Samples;

        [Network, Input(3, 1000, 1000)]
        [Conv(4, 3, Stride = 2), BatchNorm(Epsilon = 0.001, Momentum = 0.25), Elu(Alpha = 0.5), Clip(-1.5, 1.5), Dropout(0.125)]
        [MaxPool(2), Flatten, Dense(10), LogSoftmax]
        public partial class Floats;
        """;

    // A culture that would break every culture-sensitive number: a Unicode minus, a decimal comma, a dot for thousands.
    private static CultureInfo Hostile()
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NegativeSign = "\u2212";
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NumberGroupSeparator = ".";
        return culture;
    }

    private static (string Code, string Messages) Run(CultureInfo culture, string source)
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = culture;
        try
        {
            var (output, run) = GeneratorHarness.Generate(GeneratorHarness.Compile(source));
            string code = string.Join("\n", run.Results.Single().GeneratedSources.Select(s => s.SourceText.ToString()));
            string messages = string.Join("\n", run.Diagnostics.Concat(GeneratorHarness.Analyze(output)).Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
            return (code, messages);
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Generated_code_is_the_same_under_any_culture()
    {
        var (invariant, _) = Run(CultureInfo.InvariantCulture, Floats);
        var (hostile, _) = Run(Hostile(), Floats);
        Assert.Equal(invariant, hostile);
        Assert.Contains("-1.5f", invariant, StringComparison.Ordinal);
        Assert.Contains("0.125f", invariant, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_are_the_same_under_any_culture()
    {
        string bad = Floats.Replace("Input(3, 1000, 1000)", "Input(3, 1001, 1000)", StringComparison.Ordinal).Replace("Dense(10)", "Dense(-10)", StringComparison.Ordinal);
        var (_, invariant) = Run(CultureInfo.InvariantCulture, bad);
        var (_, hostile) = Run(Hostile(), bad);
        Assert.NotEmpty(invariant);
        Assert.Equal(invariant, hostile);
    }

    [Fact]
    public void GeneratedCode_names_the_generator_assemblys_version()
    {
        var version = typeof(NetworkGenerator).Assembly.GetName().Version!;
        var (code, _) = Run(CultureInfo.InvariantCulture, Floats);
        Assert.Contains($"[global::System.CodeDom.Compiler.GeneratedCode(\"Strider.Generator\", \"{version.Major}.{version.Minor}.{version.Build}\")]", code, StringComparison.Ordinal);
    }
}
