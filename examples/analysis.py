# %% Revenue per region
df["revenue"] = df["units"] * df["unit_price"]
df.groupby("region")["revenue"].sum().sort_values(ascending=False)

# %% Best-selling product
df.groupby("product")["units"].sum().idxmax()
