"""What a user would do without coord2region: geopandas `sjoin` of the points with the boundary
polygons, then `to_excel` (openpyxl). Run by bench/peers.ts with Debian's python3-geopandas:

    python3 bench/peer_geopandas.py --csv FILE --set kostat --boundaries data/boundaries --out OUT.xlsx
    python3 bench/peer_geopandas.py --csv FILE --set tl-scco --boundaries ../shared/data/tl-scco-sample --out OUT.xlsx

kostat: the bundled KOSTAT 2018 TopoJSON (시도, 시군구, 읍면동; the 읍면동 polygons repaired with
buffer(0) as a user would after GEOS refuses them). tl-scco: the official TL_SCCO_* shapefiles
(EPSG:5179, CP949), 리 first and 읍면동 for the points no 리 contains, as the official layout asks.
Points outside every polygon stay empty (no nearest-boundary fallback: geopandas 0.12 has no
sjoin_nearest worth the name on 200,000 points). Prints one JSON object with the phase times.
"""
import argparse
import json
import os
import resource
import time

import geopandas as gpd
import pandas as pd

parser = argparse.ArgumentParser()
parser.add_argument("--csv", required=True)
parser.add_argument("--set", choices=["kostat", "tl-scco"], required=True)
parser.add_argument("--boundaries", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
args = parser.parse_args()

t0 = time.perf_counter()
df = pd.read_csv(args.csv, dtype=str, keep_default_na=False)
lon = pd.to_numeric(df["lon"], errors="coerce")
lat = pd.to_numeric(df["lat"], errors="coerce")
points = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
t_read = time.perf_counter()


def read_kostat(level):
    g = gpd.read_file(os.path.join(args.boundaries, f"skorea-{level}-2018-topo.json"))
    g = g.set_crs("EPSG:4326", allow_override=True)
    g["geometry"] = g.geometry.buffer(0)
    return g


if args.set == "kostat":
    sido = read_kostat("provinces")[["code", "name"]].rename(columns={"code": "sido_code", "name": "시도"})
    sgg = read_kostat("municipalities")[["code", "name"]].rename(columns={"code": "sgg_code", "name": "시군구"})
    emd = read_kostat("submunicipalities")[["code", "name", "geometry"]].rename(columns={"code": "emd_code", "name": "읍면동"})
    t_load = time.perf_counter()
    joined = gpd.sjoin(points, emd, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    t_join = time.perf_counter()
    joined["sgg_code"] = joined["emd_code"].str[:5]
    joined["sido_code"] = joined["emd_code"].str[:2]
    out = joined.merge(sgg[["sgg_code", "시군구"]], on="sgg_code", how="left").merge(sido[["sido_code", "시도"]], on="sido_code", how="left")
    out["리"] = ""
    inside = int(joined["emd_code"].notna().sum())
else:
    sido = gpd.read_file(os.path.join(args.boundaries, "TL_SCCO_CTPRVN.shp"), encoding="cp949")[["CTPRVN_CD", "CTP_KOR_NM"]]
    sido.columns = ["sido_code", "시도"]
    sgg = gpd.read_file(os.path.join(args.boundaries, "TL_SCCO_SIG.shp"), encoding="cp949")[["SIG_CD", "SIG_KOR_NM"]]
    sgg.columns = ["sgg_code", "시군구"]
    emd = gpd.read_file(os.path.join(args.boundaries, "TL_SCCO_EMD.shp"), encoding="cp949")[["EMD_CD", "EMD_KOR_NM", "geometry"]]
    emd.columns = ["emd_code", "읍면동", "geometry"]
    li = gpd.read_file(os.path.join(args.boundaries, "TL_SCCO_LI.shp"), encoding="cp949")[["LI_CD", "LI_KOR_NM", "geometry"]]
    li.columns = ["li_code", "리", "geometry"]
    emd = emd.set_geometry(emd.geometry.buffer(0))
    li = li.set_geometry(li.geometry.buffer(0))
    t_load = time.perf_counter()
    pts = points.to_crs(emd.crs)
    with_li = gpd.sjoin(pts, li, how="left", predicate="within")
    with_li = with_li[~with_li.index.duplicated(keep="first")].drop(columns=["index_right"])
    with_emd = gpd.sjoin(pts[with_li["li_code"].isna()], emd, how="left", predicate="within")
    with_emd = with_emd[~with_emd.index.duplicated(keep="first")]
    joined = with_li
    joined["emd_code"] = joined["li_code"].str[:8]
    joined.loc[with_emd.index, "emd_code"] = with_emd["emd_code"]
    t_join = time.perf_counter()
    joined["sgg_code"] = joined["emd_code"].str[:5]
    joined["sido_code"] = joined["emd_code"].str[:2]
    out = (
        joined.merge(emd[["emd_code", "읍면동"]], on="emd_code", how="left")
        .merge(sgg, on="sgg_code", how="left")
        .merge(sido, on="sido_code", how="left")
    )
    out["리"] = out["리"].fillna("")
    inside = int(joined["emd_code"].notna().sum())

columns = list(df.columns) + ["시도", "시군구", "읍면동", "리"]
out = pd.DataFrame(out[columns])
if args.format == "xlsx":
    out.to_excel(args.out, index=False, engine="openpyxl")
else:
    out.to_csv(args.out, index=False, encoding="utf-8-sig")
t_write = time.perf_counter()

print(
    json.dumps(
        {
            "set": args.set,
            "rows": len(df),
            "inside": inside,
            "readMs": (t_read - t0) * 1000,
            "loadBoundariesMs": (t_load - t_read) * 1000,
            "sjoinMs": (t_join - t_load) * 1000,
            "writeMs": (t_write - t_join) * 1000,
            "totalMs": (t_write - t0) * 1000,
            "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
)
