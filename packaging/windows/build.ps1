# Build the Windows MSI of siting-planner (run from the repository root, in PowerShell).
#   python -m venv .venv; .venv\Scripts\pip install -e ".[package]"
#   dotnet tool install --global wix --version 5.*
#   powershell -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
$version = (& .venv\Scripts\python -c "import planner; print(planner.__version__)").Trim()
& .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller `
    packaging\siting_planner.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
& dist\siting-planner\siting-planner.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "the bundled self-test failed" }
$msi = "dist\SitingPlanner-$version-x64.msi"
wix build -arch x64 -d Version=$version -d BundleDir=dist\siting-planner -d AssetsDir=assets `
    -o $msi packaging\windows\siting-planner.wxs
if ($LASTEXITCODE -ne 0) { throw "wix build failed" }
Write-Host "built $msi ($((Get-Item $msi).Length / 1MB) MB)"
