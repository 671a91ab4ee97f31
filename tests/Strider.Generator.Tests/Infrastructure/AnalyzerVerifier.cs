using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Strider.Generator.Tests.Infrastructure;

/// <summary>Roslyn's analyzer test harness with {|STRxxxx:...|} markup, against .NET 10 and the Strider runtime.</summary>
internal static class AnalyzerVerifier
{
    public static Task VerifyAsync(string markup)
    {
        var test = new CSharpAnalyzerTest<NetworkAnalyzer, DefaultVerifier>
        {
            TestCode = markup,
            // The mirror lacks the harness's default reference packs; Basic.Reference.Assemblies supplies .NET 10.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        test.TestState.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);
        test.TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(Strider.NetworkAttribute).Assembly.Location));
        return test.RunAsync();
    }
}
