using System.Collections;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Strider.Package.Tests;

/// <summary>
/// Every diagnostic the packed analyzers can report links to a page that exists: an absolute URL into the repository's
/// docs/diagnostics (an editor opens it from the error list; nuget.org users have no copy of the repository).
/// </summary>
[Trait("Speed", "Slow")]
[Collection(PackedRuntimeCollection.Name)]
public partial class DiagnosticPagesTests(PackedRuntime package)
{
    private const string HelpRoot = "https://github.com/strider-nn/strider/blob/main/docs/diagnostics/";

    private static string Pages => Path.Combine(PackedRuntime.RepositoryRoot, "docs", "diagnostics");

    /// <summary>
    /// The descriptors of the packed generator: every static DiagnosticDescriptor field (or collection of them) of every
    /// type, and every analyzer's SupportedDiagnostics. Loaded apart from the tests so the shipped bytes are what is read.
    /// </summary>
    private List<DiagnosticDescriptor> PackedDescriptors()
    {
        string generator = package.Extract(package.Package, "analyzers/dotnet/cs/Strider.Generator.dll");
        var context = new AssemblyLoadContext("packed-analyzer", isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(generator);
            var found = new List<DiagnosticDescriptor>();
            foreach (var type in assembly.GetTypes())
            {
                if (type.ContainsGenericParameters) continue;
                foreach (var field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType == typeof(DiagnosticDescriptor)) found.Add((DiagnosticDescriptor)field.GetValue(null)!);
                    else if (typeof(IEnumerable<DiagnosticDescriptor>).IsAssignableFrom(field.FieldType) && field.GetValue(null) is IEnumerable many)
                        found.AddRange(many.Cast<DiagnosticDescriptor>());
                }
                if (typeof(DiagnosticAnalyzer).IsAssignableFrom(type) && !type.IsAbstract)
                    found.AddRange(((DiagnosticAnalyzer)Activator.CreateInstance(type)!).SupportedDiagnostics);
            }
            return found.DistinctBy(d => (d.Id, d.Title.ToString(), d.HelpLinkUri)).ToList();
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Every "STRnnnn" string literal in a packed analyzer: ids reported without a descriptor field still need a page.</summary>
    private HashSet<string> IdLiterals(string entry)
    {
        using var pe = new PEReader(File.OpenRead(package.Extract(package.Package, entry)));
        var reader = pe.GetMetadataReader();
        var ids = new HashSet<string>();
        for (var handle = MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = reader.GetNextHandle(handle))
        {
            foreach (Match m in DiagnosticId().Matches(reader.GetUserString(handle))) ids.Add(m.Value);
        }
        return ids;
    }

    [Fact]
    public void Every_descriptor_links_absolutely_to_its_own_page_which_exists_and_states_its_title_and_severity()
    {
        var descriptors = PackedDescriptors();
        Assert.True(descriptors.Count >= 20, $"Found only {descriptors.Count} descriptors in the packed generator.");
        var problems = new List<string>();
        foreach (var d in descriptors.OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            if (d.HelpLinkUri != HelpRoot + d.Id + ".md") problems.Add($"{d.Id}: help link '{d.HelpLinkUri}', expected '{HelpRoot}{d.Id}.md'.");
            string page = Path.Combine(Pages, d.Id + ".md");
            if (!File.Exists(page))
            {
                problems.Add($"{d.Id} ({d.Title}) has no page: add docs/diagnostics/{d.Id}.md and list it in docs/diagnostics/README.md.");
                continue;
            }
            var lines = File.ReadAllLines(page);
            if (lines.FirstOrDefault() != $"# {d.Id}: {d.Title}") problems.Add($"{d.Id}.md starts '{lines.FirstOrDefault()}', expected '# {d.Id}: {d.Title}'.");
            if (!lines.Contains($"Severity: {d.DefaultSeverity}")) problems.Add($"{d.Id}.md does not say 'Severity: {d.DefaultSeverity}'.");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_diagnostic_id_in_the_packed_analyzers_has_a_page_listed_in_the_index()
    {
        var ids = IdLiterals("analyzers/dotnet/cs/Strider.Generator.dll");
        ids.UnionWith(IdLiterals("analyzers/dotnet/cs/Strider.CodeFixes.dll"));
        ids.UnionWith(PackedDescriptors().Select(d => d.Id));
        Assert.Contains("STR0001", ids);
        string index = File.ReadAllText(Path.Combine(Pages, "README.md"));
        var missing = ids.Order(StringComparer.Ordinal)
            .Where(id => !File.Exists(Path.Combine(Pages, id + ".md")) || !index.Contains($"[{id}]({id}.md)", StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "Diagnostics without a page in docs/diagnostics or a row in its README.md: " + string.Join(", ", missing));
    }

    [GeneratedRegex(@"\bSTR\d{4}\b")]
    private static partial Regex DiagnosticId();
}
