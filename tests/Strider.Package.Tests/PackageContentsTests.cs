using System.IO.Compression;
using System.Reflection.Metadata;
using System.Text.Json;
using System.Xml.Linq;

namespace Strider.Package.Tests;

/// <summary>What nuget.org shows and checks: the packed files, the nuspec's metadata, the readme and the symbols package.</summary>
[Trait("Speed", "Slow")]
[Collection(PackedRuntimeCollection.Name)]
public class PackageContentsTests(PackedRuntime package)
{
    private const string Repository = "https://github.com/strider-nn/strider";

    /// <summary>The Source Link custom debug information kind in a portable PDB (the JSON document map).</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private List<string> Entries(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    private XElement Nuspec()
    {
        using var zip = ZipFile.OpenRead(package.Package);
        using var stream = zip.GetEntry("Strider.nuspec")!.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Child(XElement metadata, string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public void The_package_has_the_runtime_for_net8_and_net10_and_the_analyzers_only_under_analyzers()
    {
        var entries = Entries(package.Package);
        Assert.Contains("lib/net8.0/Strider.dll", entries);
        Assert.Contains("lib/net10.0/Strider.dll", entries);
        Assert.Contains("lib/net8.0/Strider.xml", entries);
        Assert.Contains("lib/net10.0/Strider.xml", entries);
        Assert.Contains("analyzers/dotnet/cs/Strider.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/Strider.CodeFixes.dll", entries);
        // A generator under lib/ would be referenced (and loaded) by every consumer: it belongs under analyzers/ only.
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Strider.Generator", StringComparison.Ordinal));
        var groups = Nuspec().Descendants().Where(e => e.Name.LocalName == "group").Select(g => g.Attribute("targetFramework")?.Value).ToList();
        Assert.Equal(["net10.0", "net8.0"], groups.Order());
    }

    [Fact]
    public void The_nuspec_names_the_repository_the_commit_and_the_project_page()
    {
        var metadata = Nuspec();
        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal(Repository, repository.Attribute("url")?.Value);
        string commit = repository.Attribute("commit")?.Value ?? "";
        Assert.Matches("^[0-9a-f]{40}$", commit);
        Assert.Equal(Head(), commit);
        Assert.Equal(Repository, Child(metadata, "projectUrl"));
        Assert.Equal("MIT", Child(metadata, "license"));
    }

    [Fact]
    public void The_package_readme_is_packed_with_the_install_command_and_only_absolute_links()
    {
        string? readme = Child(Nuspec(), "readme");
        Assert.False(string.IsNullOrEmpty(readme), "The nuspec names no readme.");
        string text;
        using (var zip = ZipFile.OpenRead(package.Package))
        {
            var entry = zip.GetEntry(readme!);
            Assert.True(entry is not null, $"The nuspec names the readme '{readme}', which the package lacks.");
            using var reader = new StreamReader(entry!.Open());
            text = reader.ReadToEnd();
        }
        Assert.Contains("dotnet add package Strider", text);
        // nuget.org renders the readme away from the repository: a relative link or image there leads nowhere.
        // (The repository's README links relatively, which GitHub resolves: the check must see that.)
        string repositoryReadme = File.ReadAllText(Path.Combine(PackedRuntime.RepositoryRoot, "README.md"));
        Assert.Contains("docs/diagnostics/README.md", Markdown.LinkTargets(repositoryReadme));
        var relative = Markdown.LinkTargets(text).Where(t => !t.StartsWith("https://", StringComparison.Ordinal) && !t.StartsWith('#')).ToList();
        Assert.True(relative.Count == 0, "The package readme has links nuget.org cannot follow: " + string.Join(", ", relative));
        Assert.Contains(Repository + "/blob/main/docs/diagnostics/README.md", text);
        // The readme's first example is the README's, which ReadmeExampleTests compiles and runs in a new console app.
        Assert.Equal(Markdown.FirstCSharpBlock(repositoryReadme), Markdown.FirstCSharpBlock(text));
    }

    [Fact]
    public void A_symbols_package_carries_both_pdbs_with_source_link_to_the_repository_at_the_packed_commit()
    {
        Assert.True(File.Exists(package.SymbolsPackage), "dotnet pack wrote no symbols package: " + string.Join(", ", Directory.GetFiles(package.Feed)));
        var entries = Entries(package.SymbolsPackage);
        string commit = Head();
        foreach (string framework in new[] { "net8.0", "net10.0" })
        {
            string entry = $"lib/{framework}/Strider.pdb";
            Assert.Contains(entry, entries);
            var map = SourceLinkDocuments(package.Extract(package.SymbolsPackage, entry));
            // One root, the repository's files at the commit the package was built from.
            var (root, target) = Assert.Single(map);
            Assert.Equal($"https://raw.githubusercontent.com/strider-nn/strider/{commit}/*", target);
            // A CI build (CI=true sets ContinuousIntegrationBuild) records /_/ rather than the folder it was built in.
            string expectedRoot = Environment.GetEnvironmentVariable("CI") == "true"
                ? "/_/*"
                : Path.TrimEndingDirectorySeparator(PackedRuntime.RepositoryRoot) + Path.DirectorySeparatorChar + "*";
            Assert.Equal(expectedRoot, root);
        }
    }

    /// <summary>The Source Link document map of a portable PDB: local path prefix to URL pattern.</summary>
    private static Dictionary<string, string> SourceLinkDocuments(string pdbPath)
    {
        using var stream = File.OpenRead(pdbPath);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        foreach (var handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
        {
            var info = reader.GetCustomDebugInformation(handle);
            if (reader.GetGuid(info.Kind) != SourceLinkKind) continue;
            using var json = JsonDocument.Parse(reader.GetBlobBytes(info.Value));
            return json.RootElement.GetProperty("documents").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }
        throw new InvalidDataException($"{pdbPath} has no Source Link information: the debugger could not fetch its sources.");
    }

    /// <summary>The commit the repository's work tree is at, which pack records (git is what Source Link reads too).</summary>
    private static string Head()
    {
        var (exit, output) = PackedRuntime.Run(PackedRuntime.RepositoryRoot, "git", "rev-parse", "HEAD");
        Assert.True(exit == 0, "git rev-parse HEAD failed: " + output);
        return output.Trim();
    }
}
