# Build the Windows MSI of siting-planner (run from the repository root, in PowerShell).
#   python -m venv .venv; .venv\Scripts\pip install -e ".[package]"
#   dotnet tool install --global wix --version 5.0.2
#   powershell -File packaging\windows\build.ps1
#
# Signing: with WINDOWS_SIGN_PFX (path to a .pfx code-signing certificate) and
# WINDOWS_SIGN_PASSWORD set, both programs are signed before they go into the MSI and the
# MSI after it is built (signtool, SHA-256, RFC 3161 timestamp from SIGN_TIMESTAMP_URL);
# without them it says so and builds unsigned.
$ErrorActionPreference = "Stop"
$root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $root
$version = (& .venv\Scripts\python -c "import planner; print(planner.__version__)").Trim()
& .venv\Scripts\python -m PyInstaller --noconfirm --distpath dist --workpath build\pyinstaller `
    packaging\siting_planner.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }
$bundle = (Resolve-Path "dist\siting-planner").Path
$cli = Join-Path $bundle "siting-planner.exe"
$gui = Join-Path $bundle "SitingPlanner.exe"
foreach ($exe in @($cli, $gui)) {
    if (-not (Test-Path $exe)) { throw "missing $exe (packaging\bundle_programs.py)" }
}

# The gate: the console program's self-test, whose exit status PowerShell waits for.
& $cli --self-test
if ($LASTEXITCODE -ne 0) { Write-Error "the bundled self-test failed ($LASTEXITCODE)"; exit 1 }
& $cli --version
if ($LASTEXITCODE -ne 0) { exit 1 }

function Find-SignTool {
    $kits = Join-Path ${env:ProgramFiles(x86)} "Windows Kits\10\bin"
    Get-ChildItem -Path $kits -Recurse -Filter signtool.exe -ErrorAction SilentlyContinue |
        Where-Object { $_.FullName -match "\\x64\\" } | Sort-Object FullName -Descending |
        Select-Object -First 1 -ExpandProperty FullName
}
$sign = $env:WINDOWS_SIGN_PFX -and (Test-Path $env:WINDOWS_SIGN_PFX)
$stamp = if ($env:SIGN_TIMESTAMP_URL) { $env:SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
function Invoke-Sign([string]$file) {
    $tool = Find-SignTool
    if (-not $tool) { throw "signtool.exe not found (Windows SDK)" }
    & $tool sign /fd SHA256 /td SHA256 /tr $stamp /f $env:WINDOWS_SIGN_PFX `
        /p $env:WINDOWS_SIGN_PASSWORD /d "Siting Planner" $file
    if ($LASTEXITCODE -ne 0) { throw "signing $file failed" }
    & $tool verify /pa $file
    if ($LASTEXITCODE -ne 0) { throw "the signature of $file does not verify" }
}
if ($sign) { Invoke-Sign $cli; Invoke-Sign $gui }
else { Write-Host "::warning::no code-signing certificate (WINDOWS_SIGN_PFX): the programs and the MSI are unsigned" }

$msi = "dist\SitingPlanner-$version-x64.msi"
# Absolute bind paths: the .wxs names every payload through them (never relative to itself).
wix build -arch x64 -d Version=$version -bindpath "Bundle=$bundle" `
    -bindpath "Assets=$((Resolve-Path assets).Path)" -o $msi packaging\windows\siting-planner.wxs
if ($LASTEXITCODE -ne 0) { throw "wix build failed" }
if ($sign) { Invoke-Sign $msi }
Write-Host "built $msi ($([math]::Round((Get-Item $msi).Length / 1MB, 1)) MB)"
