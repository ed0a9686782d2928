using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Wharf.Registry.Metadata;

namespace Wharf.Registry.Manifests;

/// <summary>One entry of a referrers response.</summary>
public sealed record Referrer(string MediaType, string Digest, long Size, string? ArtifactType, Dictionary<string, string>? Annotations);

/// <summary>The referrers API: manifests in a repository whose <c>subject</c> is a given digest.</summary>
public sealed class ReferrersService(RegistryDbContext db)
{
    public async Task<List<Referrer>> ListAsync(string repository, string subjectDigest, string? artifactType, CancellationToken cancellationToken)
    {
        var query = from m in db.Manifests
                    join r in db.Repositories on m.RepositoryId equals r.Id
                    where r.Name == repository && m.SubjectDigest == subjectDigest
                    select m;
        if (!string.IsNullOrEmpty(artifactType)) query = query.Where(m => m.ArtifactType == artifactType);
        var rows = await query.OrderBy(m => m.Id)
            .Select(m => new { m.MediaType, m.Digest, m.Size, m.ArtifactType, m.AnnotationsJson })
            .ToListAsync(cancellationToken);
        return rows.Select(m => new Referrer(m.MediaType, m.Digest, m.Size, m.ArtifactType,
            m.AnnotationsJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(m.AnnotationsJson))).ToList();
    }
}
