#!/usr/bin/env bash
# Regenerates the EF Core compiled models (dotnet ef dbcontext optimize) of the registry or portal context, or both,
# for SQLite and PostgreSQL: Wharf loads them instead of building its models at start (src/RegistryCore/Metadata/
# CompiledModel.cs). tests/unit/Metadata/CompiledModelTests fails while one is stale. scripts/add-migration.sh runs this.
#   scripts/compile-models.sh [--clean] [registry|portal ...]   (--clean only removes them)
# The old files go first: a model that changed may no longer compile, and dotnet-ef needs the projects to build.
set -euo pipefail
cd "$(dirname "$0")/.."
clean=false
[ "${1:-}" = "--clean" ] && { clean=true; shift; }
[ $# -gt 0 ] || set -- registry portal

# context: project, folder, namespace, context type, per provider
models() {
  case "$1" in
    registry) echo "src/RegistryCore Metadata/CompiledModels Wharf.Registry.Metadata.CompiledModels RegistryDbContext"
              echo "src/RegistryCore.PostgreSql CompiledModels Wharf.Registry.PostgreSql.CompiledModels RegistryDbContext" ;;
    portal)   echo "src/Portal.Data CompiledModels Wharf.Portal.Data.CompiledModels PortalDbContext"
              echo "src/Portal.Data.PostgreSql CompiledModels Wharf.Portal.Data.PostgreSql.CompiledModels PortalDbContext" ;;
    *) echo "context must be registry or portal" >&2; exit 2 ;;
  esac
}

for context in "$@"; do
  models "$context" | while read -r project dir _ _; do rm -rf "${project:?}/$dir"; done
done
$clean && exit 0

dotnet tool restore >/dev/null
for context in "$@"; do
  models "$context" | while read -r project dir namespace type; do
    dotnet ef dbcontext optimize --project "$project" --startup-project "$project" --context "$type" \
      --output-dir "$dir" --namespace "$namespace" --configuration Release >/dev/null
    echo "compiled the $type model of $project into $project/$dir"
  done
done
