using System.Globalization;

namespace Strider.Generator.Emit;

/// <summary>What generated code says about the generator that wrote it.</summary>
internal static class GeneratorVersion
{
    /// <summary>The generator assembly's version as major.minor.patch (the package version; no commit hash, so output is stable per release).</summary>
    public static readonly string Text = Format(typeof(GeneratorVersion).Assembly.GetName().Version);

    /// <summary>The [GeneratedCode] attribute every generated type carries.</summary>
    public static readonly string Attribute = "[global::System.CodeDom.Compiler.GeneratedCode(\"Strider.Generator\", \"" + Text + "\")]";

    private static string Format(System.Version? version) => version is null
        ? "0.0.0"
        : string.Join(".", version.Major.ToString(CultureInfo.InvariantCulture), version.Minor.ToString(CultureInfo.InvariantCulture), System.Math.Max(0, version.Build).ToString(CultureInfo.InvariantCulture));
}

/// <summary>
/// Runs parse, plan and emit under the invariant culture (as System.Text.Json's generator does), so that no
/// interpolated number or comparison anywhere in them depends on the culture of the IDE or build machine.
/// </summary>
// RS1035 bans CurrentCulture so that analyzers use the compiler's locale for messages; here it is set to the invariant culture, not read for output.
#pragma warning disable RS1035
internal readonly struct InvariantCultureScope : System.IDisposable
{
    private readonly CultureInfo _previous;

    private InvariantCultureScope(CultureInfo previous) => _previous = previous;

    public static InvariantCultureScope Enter()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return new InvariantCultureScope(previous);
    }

    public void Dispose() => CultureInfo.CurrentCulture = _previous;
}
#pragma warning restore RS1035
